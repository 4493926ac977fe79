//! The embedded reference server: an in-memory Auth0 Authentication API (see issue 3).
