//! Query strings, read without a serde round trip.

/// The decoded `name=value` pairs of a query string, in order.
#[derive(Debug, Default, Clone)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(query: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value of `name`, required: the error names the parameter.
    pub fn require(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("the query parameter `{name}` is missing"))
    }

    /// The query string again without `name`, encoded.
    pub fn without(&self, name: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.0.iter().filter(|(key, _)| key != name))
            .finish()
    }
}
