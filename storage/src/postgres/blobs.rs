//! Documents' bytes in the PostgreSQL database: the `clinical_blobs` table
//! (migration 0009), one `bytea` row per SHA-256. Writes are idempotent
//! (`ON CONFLICT DO NOTHING`: same key, same bytes); core's
//! [`BlobStore::get`] checks the hash on every read, and a row larger than
//! the bound is reported corrupt without its bytes being fetched.

use async_trait::async_trait;
use sqlx::PgPool;

use carebase::limits::MAX_ATTACHMENT_BYTES;
use carebase::store::{BlobKey, BlobStore};
use carebase::{Error, Result, StorageKind};

use super::error::db_error;

/// Blobs in the `clinical_blobs` table of a PostgreSQL store's database.
#[derive(Debug, Clone)]
pub struct PostgresBlobs {
    pool: PgPool,
}

impl PostgresBlobs {
    /// Blobs kept through `pool` (a migrated carebase database).
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[async_trait]
impl BlobStore for PostgresBlobs {
    async fn write_blob(&self, key: &BlobKey, bytes: &[u8]) -> Result<()> {
        sqlx::query(
            "INSERT INTO clinical_blobs (sha256, size, bytes) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(key.as_str())
        .bind(bytes.len() as i64)
        .bind(bytes)
        .execute(&self.pool)
        .await
        .map_err(db_error("write_blob"))?;
        Ok(())
    }

    async fn read_blob(&self, key: &BlobKey) -> Result<Option<Vec<u8>>> {
        let row: Option<(Option<Vec<u8>>,)> = sqlx::query_as(
            "SELECT CASE WHEN octet_length(bytes) <= $2 THEN bytes END \
             FROM clinical_blobs WHERE sha256 = $1",
        )
        .bind(key.as_str())
        .bind(MAX_ATTACHMENT_BYTES as i64)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_error("read_blob"))?;
        match row {
            None => Ok(None),
            Some((Some(bytes),)) => Ok(Some(bytes)),
            Some((None,)) => Err(Error::storage_of(
                StorageKind::Corrupt,
                "document bytes do not match their sha256",
            )),
        }
    }
}
