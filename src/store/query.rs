//! Reading the store: folders with counts, lists newest first, full-text search, one message,
//! raw bytes, threads. Nothing here writes.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::Store;
use super::error::{Result, StoreError};
use super::index::{self, SUMMARY_COLUMNS, SUMMARY_FROM, search::Query, search_sql};
use super::types::{FolderInfo, ListQuery, MessageId, MessageSummary};
use crate::mail::{Thread, ThreadInput, thread};

impl Store {
    /// Folders with total and unread counts, by account (in creation order) then name.
    pub fn folders(&self, account: Option<&str>) -> Result<Vec<FolderInfo>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT f.id, a.name, f.name, f.role, f.delimiter, f.uidvalidity, f.uidnext,
                        f.highestmodseq,
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id),
                        (SELECT count(*) FROM messages m WHERE m.folder_id = f.id
                            AND instr(m.flags, 'S') = 0)
                 FROM folders f JOIN accounts a ON a.id = f.account_id
                 WHERE ?1 IS NULL OR a.name = ?1
                 ORDER BY a.id, f.name <> 'INBOX', f.name",
            )
            .map_err(StoreError::db("list folders"))?;
        st.query_map([account], |r| {
            Ok(FolderInfo {
                id: r.get(0)?,
                account: r.get(1)?,
                name: r.get(2)?,
                role: r.get(3)?,
                delimiter: r.get(4)?,
                uidvalidity: r.get(5)?,
                uidnext: r.get(6)?,
                highestmodseq: r.get::<_, Option<i64>>(7)?.map(|v| v as u64),
                total: r.get::<_, i64>(8)? as u64,
                unread: r.get::<_, i64>(9)? as u64,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(StoreError::db("list folders"))
    }

    /// Messages newest first (by Date; messages without a Date last), then by id.
    pub fn list(&self, q: &ListQuery) -> Result<Vec<MessageSummary>> {
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM {SUMMARY_FROM}");
        let mut args: Vec<Value> = Vec::new();
        let folder_ids = self.matching_folders(q.account.as_deref(), q.folder.as_deref())?;
        if let Some(ids) = folder_ids {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let marks = vec!["?"; ids.len()].join(", ");
            sql.push_str(&format!(" WHERE m.folder_id IN ({marks})"));
            args.extend(ids.into_iter().map(Value::Integer));
        }
        sql.push_str(" ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?");
        args.push(Value::Integer(q.limit.map(|l| l as i64).unwrap_or(-1)));
        args.push(Value::Integer(q.offset as i64));
        let mut st = self
            .conn
            .prepare(&sql)
            .map_err(StoreError::db("list messages"))?;
        st.query_map(params_from_iter(args), index::summary_from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(StoreError::db("list messages"))
    }

    /// Search (syntax: [`index::search`]) over subject, addresses, body text, flags, dates,
    /// attachments, folders and accounts; best match first when the query has words, else
    /// newest first (then by id). An empty query finds nothing; a query the syntax cannot use
    /// is [`StoreError::Query`].
    pub fn search(
        &self,
        query: &str,
        account: Option<&str>,
        folder: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Vec<MessageSummary>> {
        self.search_query(&Query::parse(query)?, account, folder, limit)
    }

    /// [`Store::search`] for a parsed query.
    pub fn search_query(
        &self,
        query: &Query,
        account: Option<&str>,
        folder: Option<&str>,
        limit: Option<u64>,
    ) -> Result<Vec<MessageSummary>> {
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let plan = search_sql::translate(query);
        let from = if plan.fts {
            "fts JOIN messages m ON m.id = fts.rowid JOIN folders f ON f.id = m.folder_id
             JOIN accounts a ON a.id = f.account_id"
                .to_owned()
        } else {
            SUMMARY_FROM.to_owned()
        };
        let mut sql = format!("SELECT {SUMMARY_COLUMNS} FROM {from} WHERE 1");
        let mut args = plan.args;
        for cond in &plan.conditions {
            sql.push_str(" AND ");
            sql.push_str(cond);
        }
        if let Some(ids) = self.matching_folders(account, folder)? {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let marks = vec!["?"; ids.len()].join(", ");
            sql.push_str(&format!(" AND m.folder_id IN ({marks})"));
            args.extend(ids.into_iter().map(Value::Integer));
        }
        if plan.fts {
            // Weights: subject 10, sender 5, recipients 3, body 1.
            sql.push_str(
                " ORDER BY round(bm25(fts, 10.0, 5.0, 3.0, 1.0), 6), m.date DESC, m.id DESC",
            );
        } else {
            sql.push_str(" ORDER BY m.date DESC, m.id DESC");
        }
        sql.push_str(" LIMIT ?");
        args.push(Value::Integer(limit.map(|l| l as i64).unwrap_or(-1)));
        let mut st = self.conn.prepare(&sql).map_err(StoreError::db("search"))?;
        st.query_map(params_from_iter(args), index::summary_from_row)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(StoreError::db("search"))
    }

    /// How many messages (of an account/folder filter) are stored as envelopes only: their
    /// body text is not in the index, so [`Store::search`] cannot find them by body words.
    pub fn bodies_missing(&self, account: Option<&str>, folder: Option<&str>) -> Result<u64> {
        let mut sql = "SELECT count(*) FROM messages m WHERE m.has_body = 0".to_owned();
        let mut args: Vec<Value> = Vec::new();
        if let Some(ids) = self.matching_folders(account, folder)? {
            if ids.is_empty() {
                return Ok(0);
            }
            let marks = vec!["?"; ids.len()].join(", ");
            sql.push_str(&format!(" AND m.folder_id IN ({marks})"));
            args.extend(ids.into_iter().map(Value::Integer));
        }
        self.conn
            .query_row(&sql, params_from_iter(args), |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(StoreError::db("count missing bodies"))
    }

    /// One message's summary.
    pub fn get(&self, id: MessageId) -> Result<MessageSummary> {
        index::summary(&self.conn, id)?.ok_or(StoreError::NoSuchMessage(id))
    }

    /// Replaces the body text the full-text index holds for `id` (its header fields are
    /// indexed from the stored bytes as usual). Only for `index_decrypted = true`: the user
    /// asked for the decrypted text of encrypted mail to be searchable, in clear on disk.
    pub fn index_body_text(&mut self, id: MessageId, text: &str) -> Result<()> {
        let raw = self.read_raw(id)?;
        let envelope = crate::mail::Envelope::parse(&raw);
        index::put_fts(&self.conn, id, &envelope, text)
    }

    /// The exact stored bytes. `StoreError::NoBody` when only the envelope is stored (the engine
    /// fetches the body then). A file another program renamed is found by its unique name.
    pub fn read_raw(&self, id: MessageId) -> Result<Vec<u8>> {
        let m = self.get(id)?;
        let Some(file) = m.file.filter(|_| m.has_body) else {
            return Err(StoreError::NoBody(id));
        };
        let md = self.folder_row_by_id(m.folder_id)?.maildir();
        match md.read(&file) {
            Ok(bytes) => Ok(bytes),
            Err(StoreError::Io {
                source,
                path,
                action,
            }) if source.kind() == std::io::ErrorKind::NotFound => {
                let base = file.rsplit('/').next().unwrap_or(&file);
                let (uniq, _) = super::maildir::split_name(base);
                match md.locate(uniq)? {
                    Some(entry) => md.read(&entry.file),
                    None => Err(StoreError::Io {
                        action,
                        path,
                        source,
                    }),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// The folder's messages threaded (JWZ, by References/In-Reply-To), newest thread first.
    /// Returns the summaries and the threads indexing into them.
    pub fn threads(
        &self,
        account: &str,
        folder: &str,
    ) -> Result<(Vec<MessageSummary>, Vec<Thread>)> {
        let msgs = self.list(&ListQuery {
            account: Some(account.to_owned()),
            folder: Some(folder.to_owned()),
            limit: None,
            offset: 0,
        })?;
        let inputs: Vec<ThreadInput<'_>> = msgs
            .iter()
            .map(|m| ThreadInput {
                message_id: m.message_id.as_deref(),
                in_reply_to: &m.in_reply_to,
                references: &m.references,
                date: m.date,
            })
            .collect();
        let threads = thread(&inputs);
        Ok((msgs, threads))
    }

    /// Folder ids for an account/folder filter; `None` means "no restriction".
    fn matching_folders(
        &self,
        account: Option<&str>,
        folder: Option<&str>,
    ) -> Result<Option<Vec<i64>>> {
        if account.is_none() && folder.is_none() {
            return Ok(None);
        }
        if let Some(acc) = account
            && !self.accounts()?.iter().any(|(name, _)| name == acc)
        {
            return Err(StoreError::NoSuchAccount(acc.to_owned()));
        }
        let folder = folder.map(|f| {
            if f.eq_ignore_ascii_case("inbox") {
                "INBOX"
            } else {
                f
            }
        });
        let mut st = self
            .conn
            .prepare(
                "SELECT f.id FROM folders f JOIN accounts a ON a.id = f.account_id
                 WHERE (?1 IS NULL OR a.name = ?1) AND (?2 IS NULL OR f.name = ?2)",
            )
            .map_err(StoreError::db("find folders"))?;
        let ids = st
            .query_map(rusqlite::params![account, folder], |r| r.get(0))
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<i64>>>())
            .map_err(StoreError::db("find folders"))?;
        if ids.is_empty()
            && let Some(f) = folder
        {
            return Err(StoreError::NoSuchFolder {
                account: account.unwrap_or("*").to_owned(),
                folder: f.to_owned(),
            });
        }
        Ok(Some(ids))
    }
}
