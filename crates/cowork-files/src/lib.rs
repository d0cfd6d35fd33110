//! Connected folders, escape-proof path resolution, and cowork's file tools.
