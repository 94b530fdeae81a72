//! The message list: the tag mark, flags, date, sender, thread tree and subject, one row per message; only
//! the rows on screen are drawn (and only pages near them are held by the model).

use chrono::{DateTime, Datelike, FixedOffset, Offset, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::model::{Focus, Model};
use super::super::protocol::{ListSource, SearchScope};
use super::super::types::{Row, SortKey};
use super::{is_focused, pad, pane, thousands, width_of};

/// Column widths, each with the space after it. The subject takes what is left, and gets
/// [`SUBJECT_MIN`] first: narrower, the size goes, then the sender shrinks to its minimum,
/// then the date takes its short form, then the sender goes; the date goes last.
const MARKS_W: usize = 4;
const DATE_W: usize = 11;
const DATE_SHORT_W: usize = 7;
const FROM_W: usize = 21;
const FROM_MIN_W: usize = 11;
const SIZE_W: usize = 7;
const SUBJECT_MIN: usize = 30;

/// How wide each column of a list row is, for a list `width` columns wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    /// 0: no date column. [`DATE_SHORT_W`]: the short form (no year).
    pub date: usize,
    /// 0: no sender column.
    pub from: usize,
    /// 0: no size column.
    pub size: usize,
    /// What is left for the thread tree and the subject.
    pub subject: usize,
}

pub fn columns(width: usize, show_size: bool) -> Columns {
    let room = width.saturating_sub(MARKS_W);
    let mut c = Columns {
        date: DATE_W,
        from: FROM_W,
        size: if show_size { SIZE_W } else { 0 },
        subject: 0,
    };
    let left = |c: &Columns| room.saturating_sub(c.date + c.from + c.size);
    if left(&c) < SUBJECT_MIN {
        c.size = 0;
    }
    // The sender takes what the subject's minimum leaves, within its own bounds.
    let shrink = |c: &mut Columns| {
        c.from = room
            .saturating_sub(c.date + c.size + SUBJECT_MIN)
            .clamp(FROM_MIN_W, FROM_W);
    };
    shrink(&mut c);
    if left(&c) < SUBJECT_MIN {
        c.date = DATE_SHORT_W;
        shrink(&mut c);
    }
    if left(&c) < SUBJECT_MIN {
        c.from = 0;
    }
    // Very narrow: a subject of a few columns says nothing, the date goes too.
    if left(&c) < 12 {
        c.date = 0;
    }
    c.subject = left(&c);
    c
}

pub(super) fn draw(model: &Model, frame: &mut Frame, area: Rect) {
    let t = &model.theme;
    let focused = is_focused(model, Focus::List);
    let block = pane(model, title(model), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(list) = &model.list else {
        let text = model.notice.as_deref().unwrap_or("No folder open");
        let para = Paragraph::new(text)
            .style(t.row)
            .wrap(ratatui::widgets::Wrap { trim: false });
        frame.render_widget(para, inner);
        return;
    };
    let width = inner.width as usize;
    match list.total {
        None => {
            let text = list
                .error
                .as_ref()
                .map_or_else(|| "Loading…".to_string(), |e| format!("Cannot load: {e}"));
            return frame.render_widget(Paragraph::new(text).style(t.row), inner);
        }
        Some(0) => return frame.render_widget(Paragraph::new("No messages").style(t.row), inner),
        Some(_) => {}
    }
    let all_accounts = matches!(
        list.source,
        ListSource::Search {
            scope: SearchScope::AllAccounts,
            ..
        }
    );
    let cols = columns(width, list.sort.key == SortKey::Size);
    let mut lines = Vec::new();
    let end = (list.scroll + inner.height as usize).min(list.visible_len());
    for v in list.scroll..end {
        let selected = v == list.selected;
        let Some(row) = list.row(v) else {
            let style = if selected { t.selected } else { t.date };
            lines.push(Line::from(Span::styled(pad("   …", width), style)));
            continue;
        };
        let hidden = list.hidden_under(v);
        // A collapsed thread: `(+11)` hidden messages, `(3/11)` when 3 of them are unread.
        let hidden_unread = if hidden > 0 {
            (row.thread.unread_descendants as usize).min(hidden)
        } else {
            0
        };
        // A collapsed thread with unread mail in it looks unread.
        let unread = !row.flags.seen || hidden_unread > 0;
        let base = if row.flags.deleted {
            t.row_deleted
        } else if row.flags.flagged {
            t.row_flagged
        } else if unread {
            t.row_unread
        } else {
            t.row
        };
        // Unread is always bold, whatever else the row is.
        let base = if unread {
            base.add_modifier(ratatui::style::Modifier::BOLD)
        } else {
            base
        };
        let sel_style = if focused {
            t.selected
        } else {
            t.selected_unfocused
        };
        let pick = |s| if selected { base.patch(sel_style) } else { s };
        // The first mark is `*` on a tagged message (mutt's habit; the row's colour still
        // says flagged), else `!` on a flagged one. A collapsed thread shows it when any
        // message it hides is tagged.
        let full = list.full_index(v);
        let tagged = model.tags.contains(&row.id)
            || (1..=hidden).any(|k| {
                list.row_full(full + k)
                    .is_some_and(|r| model.tags.contains(&r.id))
            });
        let first = if tagged {
            "*"
        } else if row.flags.flagged {
            "!"
        } else {
            " "
        };
        let marks = format!(
            "{}{} ",
            if unread {
                'N'
            } else if row.flags.answered {
                'r'
            } else if row.flags.deleted {
                'D'
            } else {
                ' '
            },
            if row.has_attachments { '@' } else { ' ' }
        );
        let date = match cols.date {
            0 => String::new(),
            DATE_SHORT_W => pad(&short_date(row.date, model.now, model.utc_offset), 6) + " ",
            w => pad(&format_date(row.date, model.now, model.utc_offset), w - 1) + " ",
        };
        let from = match cols.from {
            0 => String::new(),
            w => pad(&row.from, w - 1) + " ",
        };
        let size = match cols.size {
            0 => String::new(),
            _ => format!("{:>6} ", human_size(row.size)),
        };
        let tree = tree_prefix(row);
        let mut subject = String::new();
        if all_accounts {
            subject.push_str(&format!("[{}/{}] ", row.folder.account, row.folder.folder));
        }
        if hidden_unread > 0 {
            subject.push_str(&format!("({hidden_unread}/{hidden}) "));
        } else if hidden > 0 {
            subject.push_str(&format!("(+{hidden}) "));
        }
        subject.push_str(&row.subject);
        let used = 1
            + width_of(&marks)
            + width_of(&date)
            + width_of(&from)
            + width_of(&size)
            + width_of(&tree);
        let rest = width.saturating_sub(used);
        let mut spans = vec![
            Span::styled(first, pick(if tagged { t.row_tagged } else { base })),
            Span::styled(marks, pick(base)),
            Span::styled(date, pick(t.date)),
            Span::styled(from, pick(base)),
            Span::styled(size, pick(t.date)),
        ];
        spans.push(Span::styled(tree, pick(t.tree)));
        spans.push(Span::styled(pad(&subject, rest), pick(base)));
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// `work: INBOX · 412/20,000 · date ▼ · threads`: where the list comes from (the account
/// too, so it shows with the folder pane hidden), the cursor's place, the sort.
fn title(model: &Model) -> String {
    let Some(list) = &model.list else {
        return "Messages".to_string();
    };
    let what = match &list.source {
        ListSource::Folder(f) => format!("{}: {}", f.account, f.folder),
        ListSource::Search {
            scope: SearchScope::Folder(f),
            query,
        } => format!("{}: {} / {query}", f.account, f.folder),
        ListSource::Search {
            scope: SearchScope::AllAccounts,
            query,
        } => format!("Search: {query}"),
    };
    let place = match list.total {
        Some(0) => " · 0 messages".to_string(),
        Some(_) => {
            let n = list.visible_len() as u64;
            format!(
                " · {}/{}",
                thousands(list.selected as u64 + 1),
                thousands(n)
            )
        }
        None => String::new(),
    };
    let s = list.sort;
    format!(
        "{what}{place} · {} {}{}",
        s.key.name(),
        s.arrow(),
        if s.threaded { " · threads" } else { "" }
    )
}

/// `├─`/`└─` under a parent, indented two columns a level.
fn tree_prefix(row: &Row) -> String {
    let d = row.thread.depth as usize;
    if d == 0 {
        return String::new();
    }
    format!(
        "{}{} ",
        "  ".repeat(d - 1),
        if row.thread.last_sibling {
            "└─"
        } else {
            "├─"
        }
    )
}

/// Today: "14:05"; this year: "Mar 07"; else "2023-03-07".
pub(super) fn format_date(date: i64, now: i64, offset: i32) -> String {
    let tz = FixedOffset::east_opt(offset).unwrap_or_else(|| Utc.fix());
    let (Some(d), Some(n)) = (
        DateTime::from_timestamp(date, 0),
        DateTime::from_timestamp(now, 0),
    ) else {
        return "?".to_string();
    };
    let (d, n) = (d.with_timezone(&tz), n.with_timezone(&tz));
    if d.date_naive() == n.date_naive() {
        d.format("%H:%M").to_string()
    } else if d.year() == n.year() {
        d.format("%b %d").to_string()
    } else {
        d.format("%Y-%m-%d").to_string()
    }
}

/// The date in at most six columns: today "14:05"; this year "Mar 07"; else the year.
fn short_date(date: i64, now: i64, offset: i32) -> String {
    let long = format_date(date, now, offset);
    match long.split_once('-') {
        Some((year, _)) => year.to_string(),
        None => long,
    }
}

pub(super) fn human_size(n: u64) -> String {
    match n {
        0..1_000 => format!("{n}B"),
        1_000..1_000_000 => format!("{}K", n / 1_000),
        1_000_000..1_000_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}
