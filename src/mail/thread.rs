//! Conversation threading after Jamie Zawinski's algorithm (<https://www.jwz.org/doc/threading.html>),
//! by References and In-Reply-To.
//!
//! Pure, iterative (no recursion, so a 100,000-deep reply chain cannot overflow the stack) and
//! loop-safe: a References header that would make a message its own ancestor is ignored.
//! Differences from JWZ: no grouping by subject (unrelated "Re: hello"s are not merged, which
//! mutt's `strict_threads` users prefer); duplicate Message-IDs become separate messages.

use std::collections::HashMap;

/// What threading needs of one message.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadInput<'a> {
    pub message_id: Option<&'a str>,
    pub in_reply_to: &'a [String],
    pub references: &'a [String],
    /// Seconds since the epoch; orders siblings (oldest first) and threads (newest first).
    pub date: Option<i64>,
}

/// One line of a threaded list, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadLine {
    /// Index into the input slice.
    pub index: usize,
    /// 0 for a thread's root; a reply to a missing message keeps the depth it would have had
    /// under it minus the missing levels that were pruned.
    pub depth: usize,
}

/// One conversation: its messages in display order (depth-first, siblings oldest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    pub lines: Vec<ThreadLine>,
    /// The newest date in the thread (threads are returned newest first).
    pub latest: Option<i64>,
}

#[derive(Default)]
struct Container {
    message: Option<usize>,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// Threads `messages`. Every input index appears in exactly one thread, exactly once.
pub fn thread(messages: &[ThreadInput<'_>]) -> Vec<Thread> {
    let mut containers: Vec<Container> = Vec::with_capacity(messages.len() * 2);
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(messages.len() * 2);

    // 1. One container per message, and one per referenced id.
    let mut own: Vec<usize> = Vec::with_capacity(messages.len());
    for (i, m) in messages.iter().enumerate() {
        let c = match m.message_id.filter(|id| !id.is_empty()) {
            Some(id) => match by_id.get(id) {
                Some(&c) if containers[c].message.is_none() => c,
                Some(_) => new_container(&mut containers), // duplicate id: keep it apart
                None => {
                    let c = new_container(&mut containers);
                    by_id.insert(id, c);
                    c
                }
            },
            None => new_container(&mut containers),
        };
        containers[c].message = Some(i);
        own.push(c);
    }
    for (i, m) in messages.iter().enumerate() {
        let mut chain: Vec<&str> = m.references.iter().map(String::as_str).collect();
        if let Some(irt) = m.in_reply_to.last()
            && chain.last() != Some(&irt.as_str())
        {
            chain.push(irt);
        }
        let mut prev: Option<usize> = None;
        for id in chain {
            if Some(id) == m.message_id {
                break; // a message listing itself: stop before making a loop
            }
            let c = match by_id.get(id) {
                Some(&c) => c,
                None => {
                    let c = new_container(&mut containers);
                    by_id.insert(id, c);
                    c
                }
            };
            if let Some(p) = prev
                && containers[c].parent.is_none()
                && p != c
                && !is_ancestor(&containers, c, p)
            {
                link(&mut containers, p, c);
            }
            prev = Some(c);
        }
        // The message's parent is the last reference, overriding guesses from other headers.
        let me = own[i];
        if let Some(p) = prev
            && p != me
            && !is_ancestor(&containers, me, p)
        {
            unlink(&mut containers, me);
            link(&mut containers, p, me);
        }
    }

    // 2. Walk every root iteratively, skipping empty containers (their children move up).
    let mut threads = Vec::new();
    for root in 0..containers.len() {
        if containers[root].parent.is_some() {
            continue;
        }
        let mut lines = Vec::new();
        let mut stack = vec![(root, 0usize)];
        while let Some((c, depth)) = stack.pop() {
            let child_depth = match containers[c].message {
                Some(index) => {
                    lines.push(ThreadLine { index, depth });
                    depth + 1
                }
                None => depth,
            };
            let mut kids = containers[c].children.clone();
            kids.sort_by_key(|k| std::cmp::Reverse(first_date(&containers, messages, *k)));
            stack.extend(kids.into_iter().map(|k| (k, child_depth)));
        }
        if lines.is_empty() {
            continue;
        }
        // Replies to a message we do not have share its (empty) root: they stay one thread,
        // each at depth 0, as JWZ keeps siblings of a missing parent together.
        let latest = lines.iter().filter_map(|l| messages[l.index].date).max();
        threads.push(Thread { lines, latest });
    }
    threads.sort_by_key(|t| std::cmp::Reverse(t.latest));
    threads
}

fn new_container(containers: &mut Vec<Container>) -> usize {
    containers.push(Container::default());
    containers.len() - 1
}

/// Whether `a` is `b` or an ancestor of `b`.
fn is_ancestor(containers: &[Container], a: usize, b: usize) -> bool {
    // A container without children is nobody's ancestor: no walk up from `b` (the common
    // case, and the walk is as long as the thread is deep).
    if a != b && containers[a].children.is_empty() {
        return false;
    }
    let mut cur = Some(b);
    let mut steps = 0;
    while let Some(c) = cur {
        if c == a {
            return true;
        }
        steps += 1;
        if steps > containers.len() {
            return true; // a loop already: refuse further links
        }
        cur = containers[c].parent;
    }
    false
}

fn link(containers: &mut [Container], parent: usize, child: usize) {
    containers[child].parent = Some(parent);
    containers[parent].children.push(child);
}

fn unlink(containers: &mut [Container], child: usize) {
    if let Some(p) = containers[child].parent.take() {
        containers[p].children.retain(|&k| k != child);
    }
}

/// The date used to order a container among its siblings: its message's, else its first child's.
fn first_date(containers: &[Container], messages: &[ThreadInput<'_>], c: usize) -> Option<i64> {
    let mut cur = c;
    for _ in 0..containers.len() {
        if let Some(i) = containers[cur].message {
            return messages[i].date;
        }
        match containers[cur].children.first() {
            Some(&k) => cur = k,
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(id: &'a str, refs: &'a [String], date: i64) -> ThreadInput<'a> {
        ThreadInput {
            message_id: Some(id),
            in_reply_to: &[],
            references: refs,
            date: Some(date),
        }
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn builds_nested_threads_with_missing_parents() {
        let none = s(&[]);
        let r_a = s(&["a"]);
        let r_ab = s(&["a", "b"]);
        let r_ax = s(&["a", "x"]); // x is missing: c hangs under a via x
        let irt = s(&["z"]);
        let msgs = vec![
            input("a", &none, 1),
            input("b", &r_a, 2),
            input("c", &r_ab, 3),
            input("d", &r_ax, 4),
            ThreadInput {
                message_id: Some("e"),
                in_reply_to: &irt, // parent z never seen
                references: &none,
                date: Some(10),
            },
            input("f", &none, 5),
        ];
        let threads = thread(&msgs);
        assert_eq!(threads.len(), 3);
        // newest activity first: e (10), f (5), then the thread of a (latest 4).
        assert_eq!(threads[0].lines, vec![ThreadLine { index: 4, depth: 0 }]);
        assert_eq!(threads[1].lines, vec![ThreadLine { index: 5, depth: 0 }]);
        let lines: Vec<(usize, usize)> = threads[2]
            .lines
            .iter()
            .map(|l| (l.index, l.depth))
            .collect();
        assert_eq!(lines, vec![(0, 0), (1, 1), (2, 2), (3, 1)]);
    }

    #[test]
    fn loops_and_self_references_are_ignored() {
        let r_b = s(&["b"]);
        let r_a = s(&["a"]);
        let r_self = s(&["c"]);
        let msgs = vec![
            input("a", &r_b, 1),
            input("b", &r_a, 2),
            input("c", &r_self, 3),
        ];
        let threads = thread(&msgs);
        let total: usize = threads.iter().map(|t| t.lines.len()).sum();
        assert_eq!(total, 3);
    }

    #[test]
    fn deep_chain_does_not_recurse() {
        let n = 50_000;
        let ids: Vec<String> = (0..n).map(|i| format!("m{i}")).collect();
        let refs: Vec<Vec<String>> = (0..n)
            .map(|i| {
                if i == 0 {
                    vec![]
                } else {
                    vec![ids[i - 1].clone()]
                }
            })
            .collect();
        let msgs: Vec<ThreadInput<'_>> = (0..n)
            .map(|i| ThreadInput {
                message_id: Some(&ids[i]),
                in_reply_to: &refs[i],
                references: &[],
                date: Some(i as i64),
            })
            .collect();
        let threads = thread(&msgs);
        assert_eq!(threads.len(), 1);
        assert_eq!(threads[0].lines.last().map(|l| l.depth), Some(n - 1));
    }
}
