mod anthropic_http;
mod decode;
mod openai_http;
mod responder;
mod script;
mod wire;
