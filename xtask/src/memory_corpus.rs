//! The two corpora `bench memory` recalls from.
//!
//! - [`Corpus::Varied`]: notes of varied length whose words are drawn
//!   with a Zipf distribution (exponent 1) from a vocabulary of 15,000:
//!   English's most common function words first (the stopwords recall
//!   drops), then made-up words built from syllables, some with the
//!   endings the stemmer folds (`-s`, `-ing`, `-ed`). Prompts are drawn
//!   the same way, each different. The common case: a few words of a
//!   prompt are rare enough to pick out a handful of notes. The words are
//!   made up so that the repository holds no word list it did not write;
//!   what ranking costs depends on how often words occur, not on which.
//! - [`Corpus::Templates`]: 12 sentence templates filled from small
//!   lists of people, places, clients and documents, with 16 fixed
//!   prompts. Pessimistic: every word of every prompt is shared by
//!   thousands of notes, so ranking always has thousands of candidates.

/// Which notes and prompts a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corpus {
    Varied,
    Templates,
}

impl Corpus {
    pub fn name(self) -> &'static str {
        match self {
            Corpus::Varied => "varied (Zipf over 15,000 words, varied lengths)",
            Corpus::Templates => "templates (12 templates: every word common)",
        }
    }

    /// A generator of notes and prompts, deterministic for a seed.
    pub fn generator(self, seed: u64) -> Generator {
        Generator {
            corpus: self,
            rng: fastrand::Rng::with_seed(seed),
            varied: match self {
                Corpus::Varied => {
                    let words = vocabulary(VOCABULARY, seed);
                    Some(Vocabulary {
                        zipf: Zipf::new(words.len(), 1.0),
                        words,
                    })
                }
                Corpus::Templates => None,
            },
        }
    }
}

/// How many words the varied corpus draws from.
const VOCABULARY: usize = 15_000;

/// The most common words of English prose, most common first: they open
/// the vocabulary, as they open any real one.
const COMMON: &[&str] = &[
    "the", "of", "and", "to", "a", "in", "is", "it", "that", "for", "was", "on", "with", "as",
    "we", "be", "at", "by", "this", "have", "from", "or", "not", "are", "but", "all", "they",
    "which", "you", "one", "had", "there", "can", "their", "will", "an", "were", "been", "has",
    "more", "if", "when", "what", "so", "about", "who", "would", "up", "out", "no", "them", "into",
    "than", "some", "then", "its", "only", "our", "other", "new",
];

const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
    "cl", "dr", "fl", "gr", "pl", "pr", "sk", "sl", "st", "tr", "ch", "sh", "th",
];
const VOWELS: &[&str] = &["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"];
const CODAS: &[&str] = &["", "", "", "n", "r", "l", "s", "t", "m", "nd", "rk", "st"];
const ENDINGS: &[&str] = &["", "", "", "", "", "s", "ing", "ed", "er"];

/// `n` distinct words, most common first: [`COMMON`], then made-up ones
/// (deterministic for `seed`).
fn vocabulary(n: usize, seed: u64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed ^ 0x5eed_0f7e);
    let mut seen: std::collections::HashSet<String> =
        COMMON.iter().map(|w| (*w).to_owned()).collect();
    let mut words: Vec<String> = COMMON.iter().map(|w| (*w).to_owned()).collect();
    while words.len() < n {
        let syllables = 1 + rng.usize(..3) + usize::from(rng.usize(..4) == 0);
        let mut word = String::new();
        for _ in 0..syllables {
            word.push_str(pick(&mut rng, ONSETS));
            word.push_str(pick(&mut rng, VOWELS));
            word.push_str(pick(&mut rng, CODAS));
        }
        word.push_str(pick(&mut rng, ENDINGS));
        if seen.insert(word.clone()) {
            words.push(word);
        }
    }
    words
}

pub struct Generator {
    corpus: Corpus,
    rng: fastrand::Rng,
    /// Present for [`Corpus::Varied`].
    varied: Option<Vocabulary>,
}

struct Vocabulary {
    words: Vec<String>,
    zipf: Zipf,
}

impl Generator {
    /// One note.
    pub fn note(&mut self) -> String {
        match (self.corpus, &self.varied) {
            (Corpus::Varied, Some(vocabulary)) => {
                // Most notes are a sentence or two; some are a paragraph.
                let words = match self.rng.usize(..10) {
                    0..=4 => self.rng.usize(6..20),
                    5..=8 => self.rng.usize(20..60),
                    _ => self.rng.usize(60..200),
                };
                let text = vocabulary.draw(&mut self.rng, words);
                // The store keeps notes of at most 2,000 characters.
                truncate(text, 1900)
            }
            (Corpus::Templates, _) | (Corpus::Varied, None) => sentence(&mut self.rng),
        }
    }

    /// `n` prompts: for the varied corpus each different (a few to a
    /// couple of dozen words), for the templates the 16 fixed ones in turn.
    pub fn prompts(&mut self, n: usize) -> Vec<String> {
        match (self.corpus, &self.varied) {
            (Corpus::Varied, Some(vocabulary)) => (0..n)
                .map(|_| {
                    let words = self.rng.usize(4..24);
                    vocabulary.draw(&mut self.rng, words)
                })
                .collect(),
            (Corpus::Templates, _) | (Corpus::Varied, None) => PROMPTS
                .iter()
                .cycle()
                .take(n)
                .map(|p| (*p).to_owned())
                .collect(),
        }
    }
}

impl Vocabulary {
    /// `n` words drawn by the Zipf distribution, separated by spaces.
    fn draw(&self, rng: &mut fastrand::Rng, n: usize) -> String {
        let words: Vec<&str> = (0..n)
            .map(|_| self.words[self.zipf.draw(rng)].as_str())
            .collect();
        words.join(" ")
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let cut = text[..max].rfind(' ').unwrap_or(max);
        text.truncate(cut);
    }
    text
}

/// Ranks drawn with probability proportional to `1 / rank^s`.
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (1..=n)
            .map(|rank| {
                total += 1.0 / (rank as f64).powf(s);
                total
            })
            .collect();
        Self { cumulative }
    }

    fn draw(&self, rng: &mut fastrand::Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let at = rng.f64() * total;
        self.cumulative
            .partition_point(|c| *c < at)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

const PEOPLE: &[&str] = &[
    "Jana", "Tom", "Amira", "Lukas", "Sofia", "Kenji", "Priya", "Mateo", "Olga", "Samuel", "Chloe",
    "Ibrahim", "Ingrid", "Diego", "Mei", "Noah", "Fatima", "Henrik", "Lucia", "Ravi", "Emma",
    "Yusuf", "Hanna", "Pablo", "Aiko", "Jonas", "Leila", "Marek", "Zoe", "Tariq",
];
const SURNAMES: &[&str] = &[
    "Novak",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Tanaka",
    "Silva",
    "Kowalski",
    "Haddad",
    "Byrne",
    "Fischer",
    "Castillo",
    "Nguyen",
    "Petrov",
    "Mensah",
    "Rossi",
    "Andersen",
    "Kaur",
    "Dubois",
    "Yilmaz",
    "Costa",
    "Weber",
    "Sato",
    "Hughes",
    "Bauer",
    "Ortiz",
    "Jensen",
    "Ivanova",
    "Park",
    "Murphy",
    "Varga",
    "Suzuki",
    "Brennan",
    "Lopez",
    "Ahmed",
    "Keller",
    "Horvat",
    "Nakamura",
    "Santos",
    "Richter",
    "Quinn",
];
const PLACES: &[&str] = &[
    "Berlin", "Lisbon", "Toronto", "Osaka", "Nairobi", "Lyon", "Denver", "Krakow", "Austin",
    "Porto", "Dublin", "Seoul", "Milan", "Oslo", "Quito", "Perth", "Gdansk", "Leeds", "Bonn",
    "Tampere", "Valencia", "Antwerp", "Bergen", "Cork", "Graz", "Malmo", "Utrecht", "Bilbao",
    "Brno", "Turin", "Lille", "Aarhus", "Geneva", "Zagreb", "Riga", "Tallinn", "Vilnius", "Cluj",
    "Sevilla", "Bremen", "Leipzig", "Dresden", "Nantes", "Bordeaux", "Ghent", "Basel", "Salzburg",
    "Linz", "Poznan", "Wroclaw",
];
const TOPICS: &[&str] = &[
    "pricing",
    "hiring",
    "logistics",
    "compliance",
    "security",
    "training",
    "catering",
    "parking",
    "licensing",
    "shipping",
    "recycling",
    "insurance",
    "printing",
    "translation",
    "sponsorship",
    "warranty",
    "maintenance",
    "procurement",
    "forecasting",
    "accessibility",
];
const DOCS: &[&str] = &[
    "invoices",
    "board minutes",
    "expense reports",
    "sales forecasts",
    "contracts",
    "press releases",
    "meeting notes",
    "travel requests",
    "purchase orders",
    "newsletters",
    "payroll sheets",
    "grant applications",
    "audit findings",
    "onboarding checklists",
    "quarterly reviews",
    "support tickets",
    "release notes",
    "budget drafts",
    "tax filings",
    "vendor quotes",
    "slide decks",
    "project plans",
    "risk registers",
    "timesheets",
];
const FORMATS: &[&str] = &[
    "PDF",
    "a spreadsheet",
    "Markdown",
    "a Word file",
    "plain text",
    "slides",
    "a CSV export",
];
const CLIENTS: &[&str] = &[
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Vandelay",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Gringotts",
    "Oceanic",
    "Monarch",
    "Pied Piper",
    "Massive Dynamic",
    "Aperture",
    "Black Mesa",
    "Nakatomi",
];
const DAYS: &[&str] = &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const FOLDERS: &[&str] = &[
    "Shared/Finance",
    "Clients/Active",
    "Archive/2025",
    "Team/Drafts",
    "Legal/Signed",
    "Marketing/Assets",
    "Ops/Weekly",
    "HR/Private",
];

/// Prompts a person might start a task with.
const PROMPTS: &[&str] = &[
    "Draft the quarterly invoice summary for the Berlin office, please.",
    "Can you turn last month's expense reports into a spreadsheet for Jana?",
    "Prepare the board minutes from yesterday's meeting notes and send them to Tom.",
    "What format does Globex want their contracts in?",
    "Write a short newsletter about the Lisbon launch for the whole team.",
    "Check the vendor quotes in Shared/Finance and tell me which is cheapest.",
    "Summarise the support tickets from the Osaka team this week.",
    "Who should get the sales forecasts for Acme, and when are they due?",
    "Make slides from the project plan for Thursday's review with Priya.",
    "File the signed Initech contracts in the right folder.",
    "Update the risk register with the audit findings from Dublin.",
    "I need the payroll sheets for March checked before Friday.",
    "Please put together onboarding checklists for the two new hires in Toronto.",
    "Where do the final versions of the press releases go?",
    "Compare the grant applications from Krakow and Porto.",
    "Translate the release notes for Hooli into plain language.",
];

fn pick<'a>(rng: &mut fastrand::Rng, words: &[&'a str]) -> &'a str {
    words[rng.usize(..words.len())]
}

/// A note of the kind a task or a person would keep: who wants what, in
/// which format, by when, where it goes.
fn sentence(rng: &mut fastrand::Rng) -> String {
    let person = if rng.bool() {
        pick(rng, PEOPLE).to_owned()
    } else {
        format!("{} {}", pick(rng, PEOPLE), pick(rng, SURNAMES))
    };
    let (place, doc, client, topic) = (
        pick(rng, PLACES),
        pick(rng, DOCS),
        pick(rng, CLIENTS),
        pick(rng, TOPICS),
    );
    match rng.usize(..12) {
        0 => format!(
            "{person} prefers the {place} {doc} as {}.",
            pick(rng, FORMATS)
        ),
        1 => format!(
            "The {place} team sends {doc} to {person} every {}.",
            pick(rng, DAYS)
        ),
        2 => format!(
            "{client} wants {doc} by the {}th of each month, as {}.",
            rng.usize(1..28),
            pick(rng, FORMATS)
        ),
        3 => format!(
            "{person} is out until {}; ask {} about {topic} instead.",
            pick(rng, MONTHS),
            pick(rng, PEOPLE)
        ),
        4 => format!(
            "Drafts of {doc} go in {}, final versions in {}.",
            pick(rng, FOLDERS),
            pick(rng, FOLDERS)
        ),
        5 => format!("{client}'s {doc} need British spelling and the {place} letterhead."),
        6 => format!("Never send {doc} for {client} without {person} signing off first."),
        7 => format!(
            "The {place} office closes early on {}s in {}.",
            pick(rng, DAYS),
            pick(rng, MONTHS)
        ),
        8 => format!(
            "{person} owns {topic} questions for {client} since {}.",
            pick(rng, MONTHS)
        ),
        9 => format!(
            "Budget for {topic} in {place} is capped at {} EUR per quarter.",
            rng.usize(1..90) * 500
        ),
        10 => format!("{client} uses {topic} vendors in {place}; {person} has the contacts."),
        _ => format!("Call {person} before changing anything about {client}'s {topic} setup."),
    }
}
