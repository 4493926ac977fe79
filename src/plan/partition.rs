//! Sharding a run across CI machines, as cargo-nextest does: `count:K/N` takes every N-th case
//! from the K-th; `hash:K/N` takes the cases whose id hashes to K, stable when cases are added.

use std::fmt;
use std::str::FromStr;

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub kind: PartitionKind,
    /// 1-based.
    pub shard: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKind {
    Count,
    Hash,
}

impl Partition {
    /// Does the case at `index` (in plan order) with `id` belong to this shard?
    pub fn contains(&self, index: usize, id: &str) -> bool {
        let slot = match self.kind {
            PartitionKind::Count => index as u64 % self.total,
            PartitionKind::Hash => fnv1a(id) % self.total,
        };
        slot == self.shard - 1
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Partition, String> {
        let (kind, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("`{s}`: expected count:K/N or hash:K/N"))?;
        let kind = match kind {
            "count" => PartitionKind::Count,
            "hash" => PartitionKind::Hash,
            other => return Err(format!("`{other}`: a partition is count:K/N or hash:K/N")),
        };
        let (shard, total) = rest
            .split_once('/')
            .ok_or_else(|| format!("`{rest}`: expected K/N"))?;
        let shard: u64 = shard
            .parse()
            .map_err(|_| format!("`{shard}` is not a shard number"))?;
        let total: u64 = total
            .parse()
            .map_err(|_| format!("`{total}` is not a shard count"))?;
        if total == 0 || shard == 0 || shard > total {
            return Err(format!(
                "shard {shard} of {total}: K must be between 1 and N"
            ));
        }
        Ok(Partition { kind, shard, total })
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            PartitionKind::Count => "count",
            PartitionKind::Hash => "hash",
        };
        write!(f, "{kind}:{}/{}", self.shard, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_case_once() {
        let ids: Vec<String> = (0..280)
            .map(|i| format!("op{}/{}", i / 10, i % 10))
            .collect();
        for kind in ["count", "hash"] {
            let shards: Vec<Partition> = (1..=3)
                .map(|k| format!("{kind}:{k}/3").parse().unwrap())
                .collect();
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(
                    shards.iter().filter(|p| p.contains(i, id)).count(),
                    1,
                    "{kind} {id}"
                );
            }
            let sizes: Vec<usize> = shards
                .iter()
                .map(|p| {
                    ids.iter()
                        .enumerate()
                        .filter(|(i, id)| p.contains(*i, id))
                        .count()
                })
                .collect();
            assert!(sizes.iter().all(|s| *s > 50), "{kind}: {sizes:?}");
        }
        assert!("count:0/3".parse::<Partition>().is_err());
        assert!("count:4/3".parse::<Partition>().is_err());
        assert!("slice:1/3".parse::<Partition>().is_err());
        assert_eq!(
            "hash:2/5".parse::<Partition>().unwrap().to_string(),
            "hash:2/5"
        );
    }
}
