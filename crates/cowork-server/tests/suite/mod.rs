mod web_browser;
mod web_demo;
mod web_fake;
mod web_pages;
