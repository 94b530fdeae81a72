//! The UI's whole state. Plain data: `update` changes it, `view` draws it, nothing else
//! touches it.

use ratatui_textarea::TextArea;

use super::input::LineInput;
use super::keymap::{Action, Keymap};
use super::list::MessageList;
use super::protocol::FolderChange;
use super::tags::Tags;
use super::theme::Theme;
use super::types::{
    AccountState, DraftAttachment, FolderInfo, FolderRef, Identity, Message, MessageId, Sort,
};

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Folders,
    List,
    Message,
}

/// One account in the folder pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountEntry {
    pub name: String,
    pub state: AccountState,
    /// Special-use folders first (Inbox, Drafts, Sent, Archive, ..., Trash), then by name.
    pub folders: Vec<FolderInfo>,
}

/// The folder pane: accounts with their folders, and a cursor over the folders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FolderPane {
    pub accounts: Vec<AccountEntry>,
    /// Index into [`FolderPane::entries`] (folders only; account headings are not selectable).
    pub selected: usize,
}

/// One line of the folder pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneLine<'a> {
    Account(&'a AccountEntry),
    Folder(&'a AccountEntry, &'a FolderInfo),
}

impl FolderPane {
    /// Every line in display order.
    pub fn lines(&self) -> Vec<PaneLine<'_>> {
        let mut out = Vec::new();
        for a in &self.accounts {
            out.push(PaneLine::Account(a));
            out.extend(a.folders.iter().map(|f| PaneLine::Folder(a, f)));
        }
        out
    }

    /// The folders, in display order.
    pub fn entries(&self) -> Vec<FolderRef> {
        self.accounts
            .iter()
            .flat_map(|a| a.folders.iter().map(|f| FolderRef::new(&a.name, &f.name)))
            .collect()
    }

    pub fn selected_folder(&self) -> Option<FolderRef> {
        self.entries().into_iter().nth(self.selected)
    }

    pub fn folder_mut(&mut self, r: &FolderRef) -> Option<&mut FolderInfo> {
        self.accounts
            .iter_mut()
            .find(|a| a.name == r.account)
            .and_then(|a| a.folders.iter_mut().find(|f| f.name == r.folder))
    }

    pub fn account_mut(&mut self, name: &str) -> Option<&mut AccountEntry> {
        self.accounts.iter_mut().find(|a| a.name == name)
    }
}

/// The message being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    pub id: MessageId,
    /// None while loading.
    pub message: Option<Message>,
    /// Body lines scrolled off the top.
    pub scroll: usize,
    /// The selected attachment.
    pub attachment: usize,
    /// The text searched for with `/` in the message, and the lines it is on.
    pub find: Option<String>,
    pub find_hits: Vec<usize>,
    pub find_at: usize,
    /// A reply or forward asked for before the message had loaded: started when it arrives.
    pub then: Option<Action>,
    /// Opened unread with only its envelope stored: marked read when it arrives downloaded.
    pub mark_read_when_downloaded: bool,
    /// `h`: every header of the message, in file order, instead of the configured ones.
    pub all_headers: bool,
    /// `H` / `:raw`: the message's exact bytes instead of the reader (None: the reader).
    pub raw: Option<RawText>,
}

/// The raw view's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawText {
    /// Asked for ([`super::protocol::Command::LoadRaw`]) once the message has loaded.
    Loading,
    /// The bytes made safe to draw ([`super::visible::bytes`]).
    Shown(String),
}

impl MessageView {
    pub fn loading(id: MessageId) -> Self {
        MessageView {
            id,
            message: None,
            scroll: 0,
            attachment: 0,
            find: None,
            find_hits: Vec::new(),
            find_at: 0,
            mark_read_when_downloaded: false,
            then: None,
            all_headers: false,
            raw: None,
        }
    }
}

/// What a prompt at the bottom line is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// `:` commands.
    Command,
    /// `/` in the list: filters the folder live.
    Filter,
    /// `/` in the message view: finds text.
    Find,
    /// Search across all accounts.
    SearchAll,
    /// Move the messages to the folder typed (Tab completes folder names).
    MoveTo {
        ids: Vec<MessageId>,
        account: String,
    },
    /// Save an attachment to the path typed.
    SaveAttachment { id: MessageId, part: usize },
    /// Save whole messages to the path typed (a directory: .eml files; a file: an mbox).
    SaveMessages { ids: Vec<MessageId> },
    /// Pipe the messages (or, with `part`, that attachment of the first) to the command typed;
    /// `!CMD` hands it the terminal.
    Pipe {
        ids: Vec<MessageId>,
        part: Option<usize>,
    },
    /// Compose: attach the file typed.
    Attach,
    /// A yes/no question before a folder change (`y` goes ahead, any other key cancels).
    Confirm(FolderChange),
    /// In the Outbox: drop these messages unsent? `y` confirms, any other key cancels.
    DropOutbox { ids: Vec<MessageId> },
}

impl PromptKind {
    pub fn label(&self) -> std::borrow::Cow<'static, str> {
        let text = match self {
            PromptKind::Confirm(change) => return confirm_question(change).into(),
            PromptKind::Command => ":",
            PromptKind::Filter | PromptKind::Find => "/",
            PromptKind::SearchAll => "Search all accounts: ",
            PromptKind::MoveTo { .. } => "Move to: ",
            PromptKind::SaveAttachment { .. } => "Save to: ",
            PromptKind::SaveMessages { ids } if ids.len() == 1 => {
                "Save message to (mbox file, or dir/ for .eml): "
            }
            PromptKind::SaveMessages { .. } => "Save messages to (mbox file, or dir/ for .eml): ",
            PromptKind::Pipe { part: None, .. } => "Pipe message to (!cmd: in the terminal): ",
            PromptKind::Pipe { part: Some(_), .. } => {
                "Pipe attachment to (!cmd: in the terminal): "
            }
            PromptKind::Attach => "Attach file: ",
            PromptKind::DropOutbox { .. } => "Drop from the outbox, unsent? (y/n) ",
        };
        text.into()
    }
}

/// The question a [`PromptKind::Confirm`] asks.
fn confirm_question(change: &FolderChange) -> String {
    match change {
        FolderChange::Create { folder, .. } => {
            format!(
                "Create folder {} in {}? y/n ",
                folder.folder, folder.account
            )
        }
        FolderChange::Rename { folder, to } => {
            format!("Rename folder {} to {to}? y/n ", folder.folder)
        }
        FolderChange::Delete { folder } => format!(
            "Delete folder {} of {} and the messages in it? y/n ",
            folder.folder, folder.account
        ),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineInput,
}

/// The compose screen's fields, in Tab order. The attachments are not a field: they change
/// only through their own keys (attach, remove, select), so typing never touches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Which identity sends; a Tab stop only when the account has several.
    From,
    To,
    Cc,
    Bcc,
    Subject,
    Body,
}

impl Field {
    pub const ALL: [Field; 6] = [
        Field::From,
        Field::To,
        Field::Cc,
        Field::Bcc,
        Field::Subject,
        Field::Body,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::From => "From",
            Field::To => "To",
            Field::Cc => "Cc",
            Field::Bcc => "Bcc",
            Field::Subject => "Subject",
            Field::Body => "Body",
        }
    }

    pub fn is_address(self) -> bool {
        matches!(self, Field::To | Field::Cc | Field::Bcc)
    }
}

/// The compose screen.
#[derive(Debug, Clone)]
pub struct Compose {
    pub account: String,
    pub to: LineInput,
    pub cc: LineInput,
    pub bcc: LineInput,
    pub subject: LineInput,
    pub body: TextArea<'static>,
    pub attachments: Vec<DraftAttachment>,
    pub attachment_sel: usize,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// The draft's Message-ID once saved (or when it was opened from Drafts): saving again
    /// replaces that version, sending removes it from Drafts.
    pub message_id: Option<String>,
    pub field: Field,
    /// Address completions for `completion_prefix`, shown under the field.
    pub completions: Vec<String>,
    pub completion_sel: usize,
    pub completion_prefix: String,
    /// A Send is in flight: further edits wait for its answer.
    pub sending: bool,
    /// Esc was pressed: asking whether to discard.
    pub confirm_discard: bool,
    /// The attach-file prompt, when open.
    pub prompt: Option<AttachPrompt>,
    /// OpenPGP signing and encryption for this message (`A-s`, `A-e`).
    pub pgp: super::types::PgpChoice,
    /// The Froms the account can send as (its own first); never empty while composing.
    pub identities: Vec<Identity>,
    /// The index in `identities` of the one sending.
    pub identity: usize,
    /// The signature block (`-- ` line and text) the composer put in the body, so that a
    /// change of identity can swap it while the user has not edited it.
    pub signature: Option<String>,
}

/// The attach-file prompt: the path typed, and what Tab found for it.
#[derive(Debug, Clone, Default)]
pub struct AttachPrompt {
    pub input: LineInput,
    /// The candidates of the last completion, shown while there are several.
    pub candidates: Vec<String>,
    /// A check of the path is in flight: Enter waits for it.
    pub checking: bool,
}

/// A line for the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// How many recent errors `:messages` keeps.
pub const LOG_LEN: usize = 50;

/// What the overlay opened by `?` or `:messages` shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overlay {
    /// The keys in force and the `:` commands.
    #[default]
    Help,
    /// The full text of recent errors ([`Model::log`]), newest last.
    Messages,
    /// A piped command's or a viewer's captured output ([`Model::output`]).
    Output,
}

/// Everything the UI knows.
#[derive(Debug, Clone)]
pub struct Model {
    pub keymap: Keymap,
    pub theme: Theme,
    pub focus: Focus,
    pub folders: FolderPane,
    /// The folder whose messages the list shows (also while it is filtered).
    pub current: Option<FolderRef>,
    pub list: Option<MessageList>,
    /// The tagged messages of the current folder (`T`, `C-t`, `:tag`): the message actions
    /// apply to them when there are any ([`Model::action_targets`]).
    pub tags: Tags,
    /// The sort new lists start with.
    pub sort: Sort,
    pub message: Option<MessageView>,
    pub prompt: Option<Prompt>,
    /// The help overlay's scroll offset, when shown.
    pub help: Option<usize>,
    /// What that overlay shows.
    pub overlay: Overlay,
    /// The full text of the last [`LOG_LEN`] errors, oldest first: the status line may have
    /// to shorten one, and the next key clears it; `:messages` shows them all.
    pub log: std::collections::VecDeque<String>,
    /// Ctrl-C was pressed once: a second one quits, any other key forgets it.
    pub quit_armed: bool,
    pub compose: Option<Compose>,
    pub status: Option<Status>,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The folder pane shown (config `folder_pane`, then `B`, for the session); None: shown
    /// unless the terminal is narrow (see [`super::layout::folder_pane_wanted`]).
    pub folder_pane: Option<bool>,
    /// Messages read full-screen (`Z`) for this session; None: full-screen only when the
    /// terminal is narrow (see [`super::layout::reader_full_wanted`]).
    pub reader_full: Option<bool>,
    /// Unix seconds now and the local UTC offset, for relative dates (set by the runner).
    pub now: i64,
    pub utc_offset: i32,
    /// The counter behind every list generation.
    pub generation: u64,
    /// Set when anything visible changed; the runner draws and clears it.
    pub dirty: bool,
    /// Set by `quit`: the runner leaves.
    pub quit: bool,
    /// Each account's identities (its own From first), set by the binary from the config; an
    /// account missing here sends as itself, with no signature.
    pub identities: std::collections::BTreeMap<String, Vec<Identity>>,
    /// The home directory, to expand `~/` in typed paths (set by the runner).
    pub home: Option<std::path::PathBuf>,
    /// A text shown in the list pane while no folder is open (e.g. how to write a config when
    /// there is none), set by the binary.
    pub notice: Option<String>,
    /// The headers the reader shows, in this order (the config's `headers`; matched without
    /// regard to case). Reply-To only shows when it differs from From.
    pub reader_headers: Vec<String>,
    /// The captured output the [`Overlay::Output`] shows.
    pub output: Option<super::protocol::ProgramOutput>,
    /// Each account's OpenPGP defaults (`pgp_sign`, `pgp_encrypt`) for new messages, set by the
    /// binary; an account not here starts with both off.
    pub pgp_defaults: std::collections::BTreeMap<String, super::types::PgpChoice>,
}

/// The reader's headers when the config names none (neomutt's choice).
pub const DEFAULT_READER_HEADERS: [&str; 6] = ["Date", "From", "To", "Cc", "Reply-To", "Subject"];

impl Model {
    /// A model for these accounts (default first), before any folder is known.
    pub fn new(accounts: &[String], keymap: Keymap, theme: Theme) -> Model {
        Model {
            keymap,
            theme,
            focus: Focus::Folders,
            folders: FolderPane {
                accounts: accounts
                    .iter()
                    .map(|a| AccountEntry {
                        name: a.clone(),
                        state: AccountState::Offline,
                        folders: Vec::new(),
                    })
                    .collect(),
                selected: 0,
            },
            current: None,
            list: None,
            tags: Tags::default(),
            sort: Sort::default(),
            message: None,
            prompt: None,
            help: None,
            overlay: Overlay::Help,
            log: std::collections::VecDeque::new(),
            quit_armed: false,
            compose: None,
            status: None,
            size: (80, 24),
            folder_pane: None,
            reader_full: None,
            now: 0,
            utc_offset: 0,
            generation: 0,
            dirty: true,
            quit: false,
            home: None,
            identities: std::collections::BTreeMap::new(),
            notice: None,
            reader_headers: DEFAULT_READER_HEADERS.map(String::from).to_vec(),
            output: None,
            pgp_defaults: std::collections::BTreeMap::new(),
        }
    }

    pub fn next_generation(&mut self) -> u64 {
        self.generation += 1;
        self.generation
    }

    pub fn set_status(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    /// Shows an error in the status line and keeps its full text for `:messages`.
    pub fn set_error(&mut self, text: impl Into<String>) {
        let text = text.into();
        if self.log.len() == LOG_LEN {
            self.log.pop_front();
        }
        self.log.push_back(text.clone());
        self.status = Some(Status { text, error: true });
    }

    /// The account new messages are sent from: the current folder's, else the first.
    pub fn current_account(&self) -> Option<String> {
        self.current
            .as_ref()
            .map(|f| f.account.clone())
            .or_else(|| self.folders.accounts.first().map(|a| a.name.clone()))
    }
}
