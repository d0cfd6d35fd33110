//! Integration tests of cowork-docs: each writer's output opened by real
//! consumers (LibreOffice, openpyxl, python-docx, python-pptx, poppler)
//! where they are installed, and each reader on real and broken files.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod suite;
