//! The sector chains of an OLE compound file (the container of an XLS),
//! followed the way calamine follows them, to find the `Workbook` stream
//! and to refuse chains calamine would follow without end.
//!
//! calamine collects a chain sector by sector until it has the declared
//! length — `usize::MAX` for the directory — so a FAT entry pointing back
//! into its own chain grows a buffer until memory runs out. Here every
//! chain must visit each sector once at most, which bounds it by the file.

use crate::error::DocsError;

const FORMAT: &str = "XLS";
const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const DIFSECT: u32 = 0xFFFF_FFFC;
const RESERVED: u32 = 0xFFFF_FFFA;
/// Streams shorter than this live in the mini stream.
const MINI_CUTOFF: usize = 4096;

/// A compound file opened for reading its chains.
pub(super) struct Cfb<'a> {
    bytes: &'a [u8],
    sector_size: usize,
    maxid: u32,
    fats: Vec<u32>,
    /// Directory entries: name and (start sector, length).
    entries: Vec<(String, u32, u64)>,
    mini_stream: Vec<u8>,
    mini_fats: Vec<u32>,
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from(u32_at(b, at)) | u64::from(u32_at(b, at + 4)) << 32
}

fn words(b: &[u8]) -> impl Iterator<Item = u32> + '_ {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

fn looping(what: &str) -> DocsError {
    DocsError::corrupt(
        FORMAT,
        format!("the sector chain of the {what} loops back on itself; the file is damaged"),
    )
}

impl<'a> Cfb<'a> {
    /// Opens `bytes`; `Ok(None)` when the header is not one calamine
    /// accepts (it reports that itself).
    pub(super) fn open(bytes: &'a [u8]) -> Result<Option<Self>, DocsError> {
        if bytes.len() < 512 {
            return Ok(None);
        }
        let sector_size = match u16_at(bytes, 30) {
            9 => 512,
            12 => 4096,
            _ => return Ok(None),
        };
        let maxid = u32::try_from(bytes.len() / sector_size).unwrap_or(u32::MAX);
        let mut cfb = Self {
            bytes,
            sector_size,
            maxid,
            fats: Vec::new(),
            entries: Vec::new(),
            mini_stream: Vec::new(),
            mini_fats: Vec::new(),
        };
        // The DIFAT: 109 entries in the header, then a chain of sectors.
        let mut difat: Vec<u32> = words(&bytes[76..512]).collect();
        let mut next = u32_at(bytes, 68);
        let mut hops = 0u64;
        while next < RESERVED {
            hops += 1;
            if hops > u64::from(maxid) + 1 {
                return Ok(None);
            }
            difat.extend(words(cfb.sector(next)));
            next = difat.pop().unwrap_or(ENDOFCHAIN);
        }
        // calamine reads one FAT sector per entry, repeats included: more
        // entries than the file has sectors would multiply the file.
        let fat_sectors: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
        if fat_sectors.len() as u64 > u64::from(maxid) + 1 {
            return Err(DocsError::corrupt(
                FORMAT,
                format!(
                    "the allocation table lists {} sectors in a file of {}; the file is damaged",
                    fat_sectors.len(),
                    maxid
                ),
            ));
        }
        for id in fat_sectors {
            if id > maxid {
                return Ok(None);
            }
            let fat: Vec<u32> = words(cfb.sector(id)).collect();
            cfb.fats.extend(fat);
        }
        let directory = cfb.chain(u32_at(bytes, 48), u64::MAX, "directory")?;
        for entry in directory.chunks_exact(128) {
            let name: Vec<u16> = entry[..64]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .take_while(|&c| c != 0)
                .collect();
            let len = if sector_size == 512 {
                u64::from(u32_at(entry, 120))
            } else {
                u64_at(entry, 120)
            };
            cfb.entries
                .push((String::from_utf16_lossy(&name), u32_at(entry, 116), len));
        }
        // The mini stream and its allocation table, read when the header
        // says there is one.
        let mini_fat_len = u64::from(u32_at(bytes, 64));
        if mini_fat_len > 0
            && let Some(&(_, start, len)) = cfb.entries.first()
        {
            cfb.mini_stream = cfb.chain(start, len, "mini stream")?;
            let table = mini_fat_len.saturating_mul(sector_size as u64);
            let table = cfb.chain(u32_at(bytes, 60), table, "mini allocation table")?;
            cfb.mini_fats = words(&table).collect();
        }
        Ok(Some(cfb))
    }

    /// Sector `id`: the bytes calamine reads for it (short at the end).
    fn sector(&self, id: u32) -> &'a [u8] {
        if id > self.maxid {
            return &[];
        }
        let start = (id as usize + 1).saturating_mul(self.sector_size);
        let end = start.saturating_add(self.sector_size).min(self.bytes.len());
        self.bytes.get(start..end).unwrap_or(&[])
    }

    /// The bytes of the chain from `start`, up to `len`, refusing a chain
    /// that visits a sector twice.
    fn chain(&self, start: u32, len: u64, what: &str) -> Result<Vec<u8>, DocsError> {
        let mut out = Vec::new();
        let mut id = start;
        let mut hops = 0u64;
        while id != ENDOFCHAIN {
            hops += 1;
            if hops > u64::from(self.maxid) + 1 {
                return Err(looping(what));
            }
            let sector = self.sector(id);
            let room = usize::try_from(len.saturating_sub(out.len() as u64)).unwrap_or(usize::MAX);
            out.extend_from_slice(&sector[..sector.len().min(room)]);
            if out.len() as u64 >= len {
                break;
            }
            // Past the table: calamine stops there too (with an error).
            let Some(&next) = self.fats.get(id as usize) else {
                break;
            };
            id = next;
        }
        Ok(out)
    }

    /// The bytes of a mini stream chain from `start`, up to `len` (under
    /// 4 KB). A chain leaving the mini stream is refused: calamine would
    /// read whatever follows in the file instead.
    fn mini_chain(&self, start: u32, len: u64) -> Result<Vec<u8>, DocsError> {
        let mut out = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN && (out.len() as u64) < len {
            let at = (id as usize).saturating_mul(64);
            let Some(sector) = self.mini_stream.get(at..at.saturating_add(64)) else {
                return Err(DocsError::corrupt(
                    FORMAT,
                    "a stream points outside the mini stream; the file is damaged",
                ));
            };
            let room = usize::try_from(len - out.len() as u64).unwrap_or(usize::MAX);
            out.extend_from_slice(&sector[..sector.len().min(room)]);
            let Some(&next) = self.mini_fats.get(id as usize) else {
                break;
            };
            id = next;
        }
        Ok(out)
    }

    /// The first stream named `name` (ASCII case-insensitive), or `None`.
    pub(super) fn stream(&self, name: &str) -> Result<Option<Vec<u8>>, DocsError> {
        let Some(&(_, start, len)) = self
            .entries
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        else {
            return Ok(None);
        };
        if len < MINI_CUTOFF as u64 {
            return self.mini_chain(start, len).map(Some);
        }
        self.chain(start, len, name).map(Some)
    }
}
