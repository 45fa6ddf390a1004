//! End-to-end with real Python publishers and installers (filled in next).
