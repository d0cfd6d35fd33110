//! The administrator's policy file.
