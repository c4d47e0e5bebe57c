//! Creator keys, for operators without an identity provider: `onair creator-key add <name>`
//! prints a new key once and stores only its argon2id hash in `CREATOR_KEYS_FILE`. A key is
//! `ock_{id}_{secret}`: the id finds the one hash to check (so a sign-in costs one argon2
//! verification, however many keys there are), the secret (190 random bits) is what proves it.
//! The file is read at each check, so keys added or removed take effect at once, on every
//! replica that mounts it.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How every creator key starts.
pub const KEY_PREFIX: &str = "ock_";
const ID_LEN: usize = 8;
const SECRET_LEN: usize = 32;
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// Longest key name.
const NAME_MAX_CHARS: usize = 64;

/// One key in the file: never the key itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredKey {
    pub name: String,
    pub id: String,
    /// PHC string of the argon2id hash of the whole key.
    pub hash: String,
    /// Seconds since the Unix epoch.
    pub created_at: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyFile {
    keys: Vec<StoredKey>,
}

/// What went wrong with the key file or a command.
#[derive(Debug, thiserror::Error)]
pub enum CreatorKeyError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a creator key file: {source}")]
    Malformed {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("a creator key named {0:?} already exists (remove it first)")]
    NameTaken(String),
    #[error("no creator key is named {0:?}")]
    NoSuchName(String),
    #[error("a key name is 1–64 letters, digits, dots, dashes or underscores")]
    BadName,
}

/// The creator keys of one file.
#[derive(Debug, Clone)]
pub struct CreatorKeys {
    path: PathBuf,
}

impl CreatorKeys {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<KeyFile, CreatorKeyError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| CreatorKeyError::Malformed {
                    path: self.path.clone(),
                    source,
                })
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(KeyFile::default()),
            Err(source) => Err(CreatorKeyError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Writes the file whole, through a temporary file and a rename, readable by its owner only.
    fn write(&self, file: &KeyFile) -> Result<(), CreatorKeyError> {
        let io = |source| CreatorKeyError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let staging = self
            .path
            .with_extension(format!("tmp-{}", std::process::id()));
        let body = serde_json::to_vec_pretty(file).expect("key file serialises");
        std::fs::write(&staging, body).map_err(io)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o600))
                .map_err(io)?;
        }
        std::fs::rename(&staging, &self.path).map_err(io)
    }

    /// Makes a key named `name`, stores its hash and returns the key (shown once, never stored).
    pub fn add(&self, name: &str) -> Result<String, CreatorKeyError> {
        let name = name.trim();
        let name_ok = (1..=NAME_MAX_CHARS).contains(&name.chars().count())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !name_ok {
            return Err(CreatorKeyError::BadName);
        }
        let mut file = self.read()?;
        if file.keys.iter().any(|k| k.name == name) {
            return Err(CreatorKeyError::NameTaken(name.to_owned()));
        }
        let id = random_text(ID_LEN);
        let key = format!("{KEY_PREFIX}{id}_{}", random_text(SECRET_LEN));
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let hash = Argon2::default()
            .hash_password(key.as_bytes(), &salt)
            .expect("argon2id with default parameters hashes any key")
            .to_string();
        file.keys.push(StoredKey {
            name: name.to_owned(),
            id,
            hash,
            created_at: crate::livekit::unix_millis() / 1000,
        });
        self.write(&file)?;
        Ok(key)
    }

    /// The keys' names and creation times (never a key, nor its hash).
    pub fn list(&self) -> Result<Vec<StoredKey>, CreatorKeyError> {
        Ok(self.read()?.keys)
    }

    /// Removes the key named `name`.
    pub fn remove(&self, name: &str) -> Result<(), CreatorKeyError> {
        let mut file = self.read()?;
        let before = file.keys.len();
        file.keys.retain(|k| k.name != name);
        if file.keys.len() == before {
            return Err(CreatorKeyError::NoSuchName(name.to_owned()));
        }
        self.write(&file)
    }

    /// The name of the key `key`, if it is one of the file's. Blocking (argon2id takes tens of
    /// milliseconds on purpose): call it off the async threads.
    pub fn verify(&self, key: &str) -> Result<Option<String>, CreatorKeyError> {
        let Some(id) = key
            .strip_prefix(KEY_PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .map(|(id, _)| id)
        else {
            return Ok(None);
        };
        let file = self.read()?;
        let Some(stored) = file.keys.iter().find(|k| k.id == id) else {
            return Ok(None);
        };
        let Ok(hash) = PasswordHash::new(&stored.hash) else {
            tracing::warn!(file = %self.path.display(), name = %stored.name, "a creator key's hash is unreadable");
            return Ok(None);
        };
        let matches = Argon2::default()
            .verify_password(key.as_bytes(), &hash)
            .is_ok();
        Ok(matches.then(|| stored.name.clone()))
    }
}

fn random_text(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `onair creator-key add|list|remove`: the operator's commands. The new key alone goes to
/// standard output (for scripts); everything else to standard error.
pub fn command(keys: &CreatorKeys, args: &[String]) -> Result<(), String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["add", name] => {
            let key = keys.add(name).map_err(|e| e.to_string())?;
            println!("{key}");
            eprintln!(
                "creator key {name:?} added to {}. It is shown only now: give it to its creator, \
                 who signs in with it on the home page or sends it as `Authorization: Bearer …` \
                 to POST /api/rooms.",
                keys.path().display()
            );
            Ok(())
        }
        ["list"] => {
            let list = keys.list().map_err(|e| e.to_string())?;
            if list.is_empty() {
                eprintln!("no creator keys in {}", keys.path().display());
            }
            for key in list {
                println!("{}\tcreated {}", key.name, rfc3339(key.created_at));
            }
            Ok(())
        }
        ["remove", name] => {
            keys.remove(name).map_err(|e| e.to_string())?;
            eprintln!(
                "creator key {name:?} removed from {}; it no longer signs in (sessions it opened \
                 end when they expire)",
                keys.path().display()
            );
            Ok(())
        }
        _ => Err("usage: onair creator-key add <name> | list | remove <name>".into()),
    }
}

/// `seconds` since the epoch as a UTC date and time.
fn rfc3339(seconds: u64) -> String {
    let time = cookie::time::OffsetDateTime::from_unix_timestamp(
        i64::try_from(seconds).unwrap_or_default(),
    )
    .unwrap_or(cookie::time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        time.year(),
        u8::from(time.month()),
        time.day(),
        time.hour(),
        time.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (CreatorKeys, PathBuf) {
        let path = std::env::temp_dir().join(format!(
            "onair-creator-keys-{}-{}.json",
            std::process::id(),
            random_text(6)
        ));
        (CreatorKeys::new(&path), path)
    }

    #[test]
    fn a_key_signs_in_until_it_is_removed() {
        let (keys, path) = keys();
        let key = keys.add("ada").unwrap();
        assert!(key.starts_with("ock_"));
        assert_eq!(keys.verify(&key).unwrap().as_deref(), Some("ada"));
        let stored = std::fs::read_to_string(&path).unwrap();
        assert!(!stored.contains(&key), "the file holds only a hash");
        assert!(stored.contains("$argon2id$"));
        keys.remove("ada").unwrap();
        assert_eq!(keys.verify(&key).unwrap(), None);
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn wrong_keys_and_names_are_refused() {
        let (keys, path) = keys();
        let key = keys.add("ada").unwrap();
        let mut wrong = key.clone();
        wrong.pop();
        wrong.push(if key.ends_with('a') { 'b' } else { 'a' });
        assert_eq!(keys.verify(&wrong).unwrap(), None);
        assert_eq!(keys.verify("not a key").unwrap(), None);
        assert!(matches!(
            keys.add("ada"),
            Err(CreatorKeyError::NameTaken(_))
        ));
        assert!(matches!(keys.add("a b"), Err(CreatorKeyError::BadName)));
        assert!(matches!(
            keys.remove("grace"),
            Err(CreatorKeyError::NoSuchName(_))
        ));
        let _ = std::fs::remove_file(path);
    }
}
