//! What a front gives core's factory.
