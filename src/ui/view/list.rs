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

const DATE_W: usize = 10;
const FROM_W: usize = 20;

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
    let show_size = model.sort.key == SortKey::Size;
    let mut lines = Vec::new();
    let end = (list.scroll + inner.height as usize).min(list.visible_len());
    for v in list.scroll..end {
        let selected = v == list.selected;
        let Some(row) = list.row(v) else {
            let style = if selected { t.selected } else { t.date };
            lines.push(Line::from(Span::styled(pad("   …", width), style)));
            continue;
        };
        let base = if row.flags.deleted {
            t.row_deleted
        } else if row.flags.flagged {
            t.row_flagged
        } else if !row.flags.seen {
            t.row_unread
        } else {
            t.row
        };
        // Unread is always bold, whatever else the row is.
        let base = if row.flags.seen {
            base
        } else {
            base.add_modifier(ratatui::style::Modifier::BOLD)
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
        let hidden = list.hidden_under(v);
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
            if !row.flags.seen {
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
        let date = pad(&format_date(row.date, model.now, model.utc_offset), DATE_W) + " ";
        let from = pad(&row.from, FROM_W) + " ";
        let size = if show_size {
            format!("{:>6} ", human_size(row.size))
        } else {
            String::new()
        };
        let tree = tree_prefix(row);
        let mut subject = String::new();
        if all_accounts {
            subject.push_str(&format!("[{}/{}] ", row.folder.account, row.folder.folder));
        }
        if hidden > 0 {
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
        ];
        if show_size {
            spans.push(Span::styled(size, pick(t.date)));
        }
        spans.push(Span::styled(tree, pick(t.tree)));
        spans.push(Span::styled(pad(&subject, rest), pick(base)));
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn title(model: &Model) -> String {
    let Some(list) = &model.list else {
        return "Messages".to_string();
    };
    let what = match &list.source {
        ListSource::Folder(f) => f.folder.clone(),
        ListSource::Search {
            scope: SearchScope::Folder(f),
            query,
        } => format!("{} / {query}", f.folder),
        ListSource::Search {
            scope: SearchScope::AllAccounts,
            query,
        } => format!("Search: {query}"),
    };
    let count = match list.total {
        Some(_) => {
            let n = list.visible_len() as u64;
            format!(
                " · {} message{}",
                thousands(n),
                if n == 1 { "" } else { "s" }
            )
        }
        None => String::new(),
    };
    let s = list.sort;
    let arrow = if s.reverse { "▲" } else { "▼" };
    format!(
        "{what}{count} · {} {arrow}{}",
        s.key.name(),
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

pub(super) fn human_size(n: u64) -> String {
    match n {
        0..1_000 => format!("{n}B"),
        1_000..1_000_000 => format!("{}K", n / 1_000),
        1_000_000..1_000_000_000 => format!("{:.1}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}
