//! Objects written only if they are as the writer last saw them: a run's lease and state in its
//! work directory, where two engines on two machines must never both believe they drive one
//! run. S3 answers a conditional PUT (`If-None-Match: *`, `If-Match: <etag>`) with 412 when the
//! object is not as expected; that is an answer here, not an error.

use super::*;

/// What a conditional write found.
#[derive(Debug, PartialEq, Eq)]
pub enum Written {
    /// Written; the new object's ETag.
    Done(String),
    /// Not written: the object exists (create) or has changed (update).
    Refused,
}

impl ObjectStorage {
    /// Creates the object unless it exists.
    pub async fn create(&self, url: &str, bytes: Vec<u8>) -> Result<Written> {
        self.put_mode(url, bytes, PutMode::Create).await
    }

    /// Replaces the object if its ETag is still `etag`.
    pub async fn replace(&self, url: &str, bytes: Vec<u8>, etag: &str) -> Result<Written> {
        let version = object_store::UpdateVersion {
            e_tag: Some(etag.to_string()),
            version: None,
        };
        self.put_mode(url, bytes, PutMode::Update(version)).await
    }

    async fn put_mode(&self, url: &str, bytes: Vec<u8>, mode: PutMode) -> Result<Written> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let _permit = self.requests.acquire().await;
        let options = object_store::PutOptions {
            mode,
            attributes: self.put_attributes(loc.scheme),
            ..Default::default()
        };
        match store
            .put_opts(&loc.path, PutPayload::from(bytes), options)
            .await
        {
            Ok(put) => Ok(Written::Done(put.e_tag.unwrap_or_default())),
            Err(object_store::Error::AlreadyExists { .. })
            | Err(object_store::Error::Precondition { .. }) => Ok(Written::Refused),
            Err(e) => Err(explain(url, e)),
        }
    }

    /// The object's bytes and ETag, or `None` when it does not exist.
    pub async fn read_tagged(&self, url: &str) -> Result<Option<(Vec<u8>, String)>> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let _permit = self.requests.acquire().await;
        match store.get(&loc.path).await {
            Ok(got) => {
                let etag = got.meta.e_tag.clone().unwrap_or_default();
                let bytes = got.bytes().await.map_err(|e| explain(url, e))?;
                Ok(Some((bytes.to_vec(), etag)))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(explain(url, e)),
        }
    }

    /// Deletes the object; one that is already gone is not an error.
    pub async fn delete(&self, url: &str) -> Result<()> {
        let loc = parse(url)?;
        let store = self.store(&loc).await?;
        let _permit = self.requests.acquire().await;
        match store.delete(&loc.path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(explain(url, e)),
        }
    }
}
