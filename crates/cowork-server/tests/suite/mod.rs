mod web_fake;
mod web_pages;
