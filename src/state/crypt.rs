//! Encryption at rest: the state's JSON sealed with XChaCha20-Poly1305 under a key
//! derived from a passphrase by Argon2id (RustCrypto's `chacha20poly1305` and
//! `argon2`, no home-made crypto), in an envelope whose header stays readable:
//!
//! ```json
//! {"forge_state": {"version": 1, "lineage": "…", "serial": 7, "forge_version": "0.1.0"},
//!  "encryption": {"cipher": "xchacha20poly1305", "kdf": "argon2id", "memory_kib": 19456,
//!                 "iterations": 2, "parallelism": 1, "salt": "…", "nonce": "…",
//!                 "passphrase": "env FORGE_STATE_PASSPHRASE"},
//!  "ciphertext": "…base64…"}
//! ```
//!
//! The header is the AEAD's associated data: changing the lineage or serial a reader
//! sees breaks decryption. `passphrase` is how forge.yaml named the passphrase when the
//! state was written, so a reader without it can be told which one it needs. Argon2id
//! runs once per run (the key is kept with its salt, each write has a fresh 24-byte
//! random nonce), with OWASP's minimum parameters (19 MiB, 2 passes).

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};

/// The readable part of a state: which state it is, whoever reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// State file format.
    pub version: u32,
    /// The state's lineage.
    pub lineage: String,
    /// Its serial.
    pub serial: u64,
    /// The forge that wrote it.
    pub forge_version: String,
}

/// How the ciphertext was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Params {
    /// `xchacha20poly1305`.
    pub cipher: String,
    /// `argon2id`.
    pub kdf: String,
    /// Argon2 memory in KiB.
    pub memory_kib: u32,
    /// Argon2 passes.
    pub iterations: u32,
    /// Argon2 lanes.
    pub parallelism: u32,
    /// The KDF salt, hex.
    pub salt: String,
    /// The nonce, hex.
    pub nonce: String,
    /// Which passphrase, as forge.yaml named it (`env NAME`, `file PATH`).
    pub passphrase: String,
}

/// An encrypted state as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// Readable header.
    pub forge_state: Header,
    /// Cipher parameters.
    pub encryption: Params,
    /// The sealed state JSON, base64.
    pub ciphertext: String,
}

/// Encryption or decryption failed.
#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    /// The passphrase does not open this state.
    #[error(
        "the passphrase from {given} does not decrypt the state (it was encrypted with the passphrase from {wanted}): wrong passphrase, or the state was altered; nothing was changed"
    )]
    WrongPassphrase {
        /// Where this run took its passphrase.
        given: String,
        /// What the header says it was written with.
        wanted: String,
    },
    /// The envelope is malformed or uses something this forge does not know.
    #[error("the encrypted state is not readable by this forge: {0}")]
    Format(String),
    /// Key derivation failed.
    #[error("cannot derive the key: {0}")]
    Kdf(String),
}

const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// A key derived from a passphrase, with the salt it was derived with.
#[derive(Clone)]
pub struct Key {
    key: [u8; 32],
    salt: [u8; 16],
    /// Which passphrase (`env NAME`).
    pub label: String,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.label)
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

fn derive(passphrase: &str, salt: &[u8; 16], p: (u32, u32, u32)) -> Result<[u8; 32], CryptError> {
    let params =
        argon2::Params::new(p.0, p.1, p.2, Some(32)).map_err(|e| CryptError::Kdf(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = [0u8; 32];
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(|e| CryptError::Kdf(e.to_string()))?;
    Ok(key)
}

impl Key {
    /// A key for a new salt (turning encryption on, or a new passphrase).
    pub fn new(passphrase: &str, label: &str) -> Result<Self, CryptError> {
        let mut salt = [0u8; 16];
        rand::Rng::fill(&mut rand::rng(), &mut salt);
        Ok(Self {
            key: derive(passphrase, &salt, (MEMORY_KIB, ITERATIONS, PARALLELISM))?,
            salt,
            label: label.to_string(),
        })
    }

    /// The key an envelope was written with, if `passphrase` is the right one (checked
    /// by opening it).
    pub fn for_envelope(env: &Envelope, passphrase: &str, label: &str) -> Result<Self, CryptError> {
        let p = &env.encryption;
        if p.cipher != "xchacha20poly1305" || p.kdf != "argon2id" {
            return Err(CryptError::Format(format!(
                "cipher {} with kdf {}",
                p.cipher, p.kdf
            )));
        }
        let salt: [u8; 16] = hex::decode(&p.salt)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| CryptError::Format("bad salt".into()))?;
        let key = Self {
            key: derive(
                passphrase,
                &salt,
                (p.memory_kib, p.iterations, p.parallelism),
            )?,
            salt,
            label: label.to_string(),
        };
        key.open(env)?;
        Ok(key)
    }

    /// Seals `plain` (the state JSON) under `header`.
    pub fn seal(&self, header: Header, plain: &[u8]) -> Result<Vec<u8>, CryptError> {
        let mut nonce = [0u8; 24];
        rand::Rng::fill(&mut rand::rng(), &mut nonce);
        let params = Params {
            cipher: "xchacha20poly1305".into(),
            kdf: "argon2id".into(),
            memory_kib: MEMORY_KIB,
            iterations: ITERATIONS,
            parallelism: PARALLELISM,
            salt: hex::encode(self.salt),
            nonce: hex::encode(nonce),
            passphrase: self.label.clone(),
        };
        let aad = aad(&header, &params);
        let cipher = XChaCha20Poly1305::new(&self.key.into());
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| CryptError::Format("encryption failed".into()))?;
        let env = Envelope {
            forge_state: header,
            encryption: params,
            ciphertext: base64::engine::general_purpose::STANDARD.encode(sealed),
        };
        serde_json::to_vec_pretty(&env).map_err(|e| CryptError::Format(e.to_string()))
    }

    /// Opens an envelope: the state JSON.
    pub fn open(&self, env: &Envelope) -> Result<Vec<u8>, CryptError> {
        let wrong = || CryptError::WrongPassphrase {
            given: self.label.clone(),
            wanted: env.encryption.passphrase.clone(),
        };
        let nonce: [u8; 24] = hex::decode(&env.encryption.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or_else(|| CryptError::Format("bad nonce".into()))?;
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(&env.ciphertext)
            .map_err(|e| CryptError::Format(e.to_string()))?;
        let aad = aad(&env.forge_state, &env.encryption);
        XChaCha20Poly1305::new(&self.key.into())
            .decrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: &sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| wrong())
    }
}

fn aad(header: &Header, params: &Params) -> Vec<u8> {
    serde_json::to_vec(&(header, params)).unwrap_or_default()
}

/// The envelope in `bytes`, if they are an encrypted state (`None`: plain JSON state).
pub fn envelope(bytes: &[u8]) -> Option<Envelope> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if v.get("encryption").is_none() || v.get("ciphertext").is_none() {
        return None;
    }
    serde_json::from_value(v).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Header {
        Header {
            version: 1,
            lineage: "abc".into(),
            serial: 3,
            forge_version: "0.1.0".into(),
        }
    }

    #[test]
    fn sealed_state_opens_with_the_passphrase_and_hides_its_content() {
        let key = Key::new("correct horse", "env P").expect("key");
        let sealed = key
            .seal(header(), br#"{"secret":"hunter2-value"}"#)
            .expect("seal");
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("hunter2-value"), "{text}");
        assert!(
            text.contains("\"lineage\": \"abc\""),
            "header readable: {text}"
        );
        let env = envelope(&sealed).expect("an envelope");
        let again = Key::for_envelope(&env, "correct horse", "env P").expect("right passphrase");
        assert_eq!(
            again.open(&env).expect("open"),
            br#"{"secret":"hunter2-value"}"#
        );
    }

    #[test]
    fn a_wrong_passphrase_or_an_altered_header_is_refused() {
        let key = Key::new("correct horse", "env P").expect("key");
        let sealed = key.seal(header(), b"{}").expect("seal");
        let env = envelope(&sealed).expect("envelope");
        let err = Key::for_envelope(&env, "battery staple", "env Q").expect_err("wrong");
        assert!(err.to_string().contains("the passphrase from env Q does not decrypt the state (it was encrypted with the passphrase from env P)"), "{err}");
        let mut altered = env.clone();
        altered.forge_state.serial = 99;
        assert!(matches!(
            key.open(&altered),
            Err(CryptError::WrongPassphrase { .. })
        ));
        assert!(envelope(br#"{"version": 1, "serial": 0}"#).is_none());
    }
}
