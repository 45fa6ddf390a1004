//! Yanking (PEP 592) and deletion of files, releases and projects.

use wharf_meta::FileSelector;

use super::PackageIndex;
use crate::{normalize, Namespace, PypiError, Version};

impl PackageIndex {
    fn selector(version: Option<&str>, filename: Option<&str>) -> Result<FileSelector, PypiError> {
        Ok(match (version, filename) {
            (Some(_), Some(_)) => return Err(PypiError::BadRequest("give a version or a filename, not both".into())),
            (Some(v), None) => FileSelector::Release(Version::parse(v)?.to_string()),
            (None, Some(f)) => FileSelector::File(f.to_string()),
            (None, None) => FileSelector::Project,
        })
    }

    /// The selectors for a request. A release is matched by PEP 440
    /// equality, so `--version 1.0` also reaches files stored as `1.0.0`.
    async fn selectors(
        &self,
        ns: &Namespace,
        project: &str,
        version: Option<&str>,
        filename: Option<&str>,
    ) -> Result<Vec<FileSelector>, PypiError> {
        let want = match Self::selector(version, filename)? {
            FileSelector::Release(v) => Version::parse(&v)?,
            other => return Ok(vec![other]),
        };
        let mut stored: Vec<String> = self
            .meta
            .pypi_project_files(ns.as_str(), project)
            .await?
            .into_iter()
            .filter(|f| f.namespace == ns.as_str() && Version::parse(&f.version).is_ok_and(|x| x == want))
            .map(|f| f.version)
            .collect();
        stored.sort();
        stored.dedup();
        Ok(stored.into_iter().map(FileSelector::Release).collect())
    }

    /// Yanks (or un-yanks) a file, a release or a whole project.
    pub async fn set_yanked(
        &self,
        ns: &Namespace,
        project: &str,
        version: Option<&str>,
        filename: Option<&str>,
        yanked: bool,
        reason: Option<&str>,
    ) -> Result<u64, PypiError> {
        let project = normalize(project);
        let mut n = 0;
        for which in self.selectors(ns, &project, version, filename).await? {
            n += self.meta.pypi_yank(ns.as_str(), &project, &which, yanked, reason).await?;
        }
        if n == 0 {
            return Err(PypiError::NotFound);
        }
        Ok(n)
    }

    /// Deletes a file, a release or a project. Deleted filenames stay
    /// reserved: they can never come back with different content.
    pub async fn delete(
        &self,
        ns: &Namespace,
        project: &str,
        version: Option<&str>,
        filename: Option<&str>,
    ) -> Result<u64, PypiError> {
        let project = normalize(project);
        let mut n = 0;
        for which in self.selectors(ns, &project, version, filename).await? {
            n += self.meta.pypi_delete(ns.as_str(), &project, &which).await?;
        }
        if n == 0 {
            return Err(PypiError::NotFound);
        }
        Ok(n)
    }

    /// Digests (`sha256:<hex>`) whose bytes the index still serves: live
    /// files and their PEP 658 metadata (garbage collection).
    pub async fn gc_live(&self) -> Result<Vec<String>, PypiError> {
        Ok(self.meta.gc_pypi_digests().await?.into_iter().map(|hex| format!("sha256:{hex}")).collect())
    }
}
