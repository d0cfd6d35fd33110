//! Test support for cowork: a mock model server speaking Anthropic and OpenAI wire formats.
