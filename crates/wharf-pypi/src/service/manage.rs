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
        let which = Self::selector(version, filename)?;
        let n = self.meta.pypi_yank(ns.as_str(), &normalize(project), &which, yanked, reason).await?;
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
        let which = Self::selector(version, filename)?;
        let n = self.meta.pypi_delete(ns.as_str(), &normalize(project), &which).await?;
        if n == 0 {
            return Err(PypiError::NotFound);
        }
        Ok(n)
    }
}
