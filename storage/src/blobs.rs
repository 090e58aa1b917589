//! Documents' bytes on the filesystem, beside a SQLite file: the directory
//! `<db>.blobs/` (`clinic.db` → `clinic.db.blobs/`, created when the store
//! opens, owner-only: `0700` folders, `0600` files) holds one file per blob, named by its SHA-256 under a
//! two-hex-digit fan-out folder (`ab/abcdef…`), so no folder grows past a
//! few thousand files. A blob is written to a temporary file in the same
//! folder, synced, then renamed into place and the folder synced: a crash
//! leaves either no file or the whole file, never a torn one. The hash is
//! checked on every read by core's [`BlobStore::get`]; a file larger than
//! the bound is reported corrupt without being read.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use carebase::limits::MAX_ATTACHMENT_BYTES;
use carebase::store::{BlobKey, BlobStore};
use carebase::{Error, Result, StorageKind};

/// Blobs in a directory of content-addressed files.
#[derive(Debug, Clone)]
pub struct FileBlobs {
    dir: PathBuf,
}

impl FileBlobs {
    /// The blob directory of the SQLite file at `database`:
    /// `<database>.blobs/` (created on the first write).
    pub fn beside(database: &Path) -> Self {
        let mut dir = database.as_os_str().to_owned();
        dir.push(".blobs");
        Self { dir: dir.into() }
    }

    /// The blob directory of the SQLite file at `database`, created now
    /// (owner-only permissions) so a store that cannot keep documents fails
    /// when it opens, not at its first attachment.
    pub fn open_beside(database: &Path) -> Result<Self> {
        let blobs = Self::beside(database);
        create_private_dir(&blobs.dir).map_err(io_error("stored"))?;
        Ok(blobs)
    }

    /// Blobs kept in `dir` (created on the first write).
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory the blobs live in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the blob of `key` lives (the key is 64 hex digits: no path
    /// can be named through it).
    fn path_of(&self, key: &BlobKey) -> PathBuf {
        let hex = key.as_str();
        self.dir.join(&hex[..2]).join(hex)
    }
}

/// A filesystem failure, named by what was being done (never a path: it
/// could hold a patient's name).
fn io_error(what: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |_| Error::storage(format!("document bytes could not be {what}"))
}

/// Creates `dir` and its missing parents readable by the owner only
/// (`0700` on Unix): documents are patient data.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to `path` through a synced temporary file (created
/// `0600` by `tempfile`) and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let folder = path
        .parent()
        .ok_or_else(|| Error::storage("no blob folder"))?;
    create_private_dir(folder).map_err(io_error("stored"))?;
    let mut temp = tempfile::NamedTempFile::new_in(folder).map_err(io_error("stored"))?;
    temp.write_all(bytes).map_err(io_error("stored"))?;
    temp.as_file().sync_all().map_err(io_error("stored"))?;
    temp.persist(path)
        .map_err(|e| io_error("stored")(e.error))?;
    // The rename is durable once the folder's entry is.
    std::fs::File::open(folder)
        .and_then(|f| f.sync_all())
        .map_err(io_error("stored"))
}

/// Reads the blob at `path`, refusing one larger than the bound unread.
fn read_bounded(path: &Path) -> Result<Option<Vec<u8>>> {
    let size = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error("read")(e)),
    };
    if size > MAX_ATTACHMENT_BYTES as u64 {
        return Err(Error::storage_of(
            StorageKind::Corrupt,
            "document bytes do not match their sha256",
        ));
    }
    std::fs::read(path).map(Some).map_err(io_error("read"))
}

/// Runs blocking file I/O on a thread of its own and answers through a
/// oneshot channel, so a blob read or write never blocks the caller's
/// executor and needs no async runtime: a host that polls carebase's
/// futures itself (Kotlin coroutines, Swift tasks on a device build without
/// tokio) waits the same way as one on tokio. `what` names the failure if
/// the thread cannot start or ends without answering.
async fn on_io_thread<T: Send + 'static>(
    what: &'static str,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("carebase-blob-io".into())
        .spawn(move || {
            let _ = answer.send(work());
        })
        .map_err(io_error(what))?;
    answered
        .await
        .map_err(|_| Error::storage(format!("document bytes could not be {what}")))?
}

#[async_trait]
impl BlobStore for FileBlobs {
    async fn write_blob(&self, key: &BlobKey, bytes: &[u8]) -> Result<()> {
        let path = self.path_of(key);
        let bytes = bytes.to_vec();
        on_io_thread("stored", move || write_atomically(&path, &bytes)).await
    }

    async fn read_blob(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        let path = self.path_of(key);
        on_io_thread("read", move || read_bounded(&path)).await
    }
}
