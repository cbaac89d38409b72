//! The user's RSA private key, as a Snowflake connection names it: a PEM file holding
//! PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`) or an encrypted PKCS#8
//! (`ENCRYPTED PRIVATE KEY`, PBES2: PBKDF2 with HMAC-SHA1/256/384/512, then AES-128/192/256-CBC
//! as OpenSSL 3 writes by default, or DES-EDE3-CBC as Snowflake's key-pair guide writes with
//! `openssl pkcs8 -topk8 -v2 des3`).
//!
//! Decrypting needs only a small DER reader for `EncryptedPrivateKeyInfo` (RFC 5958) and
//! `PBES2-params` (RFC 8018); the cryptography is aws-lc-rs's (and the `des` crate's for
//! Triple DES). Errors say what is wrong with the file, never its content.

use std::num::NonZeroU32;

use aws_lc_rs::cipher::{AES_128, AES_192, AES_256, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::pbkdf2;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
use base64::Engine;
use sha2::{Digest, Sha256};

use crate::providers::snowflake::connections::Secret;

/// Why the key cannot be used. Never holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not a PEM file with a private key.
    #[error("it is not a PEM private key (expected `-----BEGIN PRIVATE KEY-----`)")]
    NotPem,
    /// An encrypted key and no passphrase.
    #[error("the key is encrypted and the connection has no `private_key_file_pwd`")]
    NoPassphrase,
    /// The passphrase does not decrypt it.
    #[error("the passphrase (`private_key_file_pwd`) does not decrypt the key")]
    WrongPassphrase,
    /// Encrypted in a way forge does not read.
    #[error("the key is encrypted with {0}, which forge does not read")]
    Unsupported(String),
    /// The DER inside is not what it should be.
    #[error("the key's DER structure is damaged ({0})")]
    Malformed(&'static str),
    /// Not an RSA key, or one aws-lc refuses (too short, inconsistent).
    #[error("it is not a usable RSA private key ({0})")]
    NotRsa(String),
}

/// A loaded key: the signer and the fingerprint Snowflake knows it by.
pub struct PrivateKey {
    pair: RsaKeyPair,
    /// `SHA256:<base64 of the SHA-256 of the public key's SubjectPublicKeyInfo DER>`,
    /// what `DESC USER` shows as `RSA_PUBLIC_KEY_FP`.
    pub fingerprint: String,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Parses a PEM key, decrypting it with `passphrase` if it is encrypted.
    pub fn from_pem(pem: &str, passphrase: Option<&Secret>) -> Result<Self, KeyError> {
        let (label, der) = pem_block(pem).ok_or(KeyError::NotPem)?;
        let rejected = |e: aws_lc_rs::error::KeyRejected| KeyError::NotRsa(e.to_string());
        let pair = match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der).map_err(rejected)?,
            "RSA PRIVATE KEY" => {
                if pem.contains("Proc-Type: 4,ENCRYPTED") {
                    return Err(KeyError::Unsupported(
                        "OpenSSL's legacy PEM encryption (convert it to PKCS#8: `openssl pkcs8 -topk8 -v2 aes256 -in KEY -out KEY.p8`)".into(),
                    ));
                }
                RsaKeyPair::from_der(&der).map_err(rejected)?
            }
            "ENCRYPTED PRIVATE KEY" => {
                let pass = passphrase.ok_or(KeyError::NoPassphrase)?;
                let plain = decrypt_pkcs8(&der, pass.expose().as_bytes())?;
                RsaKeyPair::from_pkcs8(&plain).map_err(|_| KeyError::WrongPassphrase)?
            }
            _ => return Err(KeyError::NotPem),
        };
        let spki = pair
            .public_key()
            .as_der()
            .map_err(|_| KeyError::NotRsa("its public key cannot be encoded".into()))?;
        let fingerprint = format!(
            "SHA256:{}",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki.as_ref()))
        );
        Ok(Self { pair, fingerprint })
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) of `msg`.
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(|_| KeyError::NotRsa("signing failed".into()))?;
        Ok(sig)
    }
}

/// The first PEM block: its label and decoded body (header lines such as `Proc-Type:`
/// skipped).
fn pem_block(pem: &str) -> Option<(String, Vec<u8>)> {
    let start = pem.find("-----BEGIN ")?;
    let rest = &pem[start + 11..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_string();
    let body_start = label_end + 5;
    let end_marker = format!("-----END {label}-----");
    let body_end = rest.find(&end_marker)?;
    let body: String = rest[body_start..body_end]
        .lines()
        .filter(|l| !l.contains(':'))
        .flat_map(|l| l.trim().chars())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .ok()?;
    Some((label, der))
}

/// One DER element: its tag and contents.
struct Der<'a> {
    tag: u8,
    body: &'a [u8],
}

/// Reads DER elements one after another.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<Der<'a>, KeyError> {
        let bad = KeyError::Malformed("truncated element");
        let (&tag, rest) = self.0.split_first().ok_or(bad.clone())?;
        let (&first, mut rest) = rest.split_first().ok_or(bad.clone())?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err(KeyError::Malformed("bad length"));
            }
            let len = rest[..n]
                .iter()
                .fold(0usize, |a, &b| (a << 8) | usize::from(b));
            rest = &rest[n..];
            len
        };
        if rest.len() < len {
            return Err(bad);
        }
        let (body, after) = rest.split_at(len);
        self.0 = after;
        Ok(Der { tag, body })
    }

    fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], KeyError> {
        let d = self.next()?;
        if d.tag == tag {
            Ok(d.body)
        } else {
            Err(KeyError::Malformed(what))
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
const OCTETS: u8 = 0x04;
const INTEGER: u8 = 0x02;

const PBES2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0d];
const PBKDF2: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0c];
const HMAC_SHA1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x07];
const HMAC_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09];
const HMAC_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0a];
const HMAC_SHA512: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x0b];
const AES128_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02];
const AES192_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16];
const AES256_CBC: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a];
const DES_EDE3_CBC: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07];

/// A non-negative DER INTEGER that fits in a `u32`.
fn small_int(body: &[u8]) -> Result<u32, KeyError> {
    let body = match body {
        [0, rest @ ..] => rest,
        b => b,
    };
    if body.len() > 4 {
        return Err(KeyError::Malformed("iteration count too large"));
    }
    Ok(body.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

/// Decrypts an `EncryptedPrivateKeyInfo` (PBES2) into the PKCS#8 `PrivateKeyInfo` DER.
fn decrypt_pkcs8(der: &[u8], passphrase: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut top = Reader(Reader(der).expect(SEQUENCE, "EncryptedPrivateKeyInfo")?);
    let mut alg = Reader(top.expect(SEQUENCE, "encryptionAlgorithm")?);
    let data = top.expect(OCTETS, "encryptedData")?;
    if alg.expect(OID, "algorithm")? != PBES2 {
        return Err(KeyError::Unsupported(
            "PBES1 (re-encrypt it: `openssl pkcs8 -topk8 -v2 aes256 -in KEY -out KEY.p8`)".into(),
        ));
    }
    let mut params = Reader(alg.expect(SEQUENCE, "PBES2-params")?);
    let mut kdf = Reader(params.expect(SEQUENCE, "keyDerivationFunc")?);
    let mut scheme = Reader(params.expect(SEQUENCE, "encryptionScheme")?);
    if kdf.expect(OID, "kdf")? != PBKDF2 {
        return Err(KeyError::Unsupported(
            "a key derivation other than PBKDF2 (scrypt?)".into(),
        ));
    }
    let mut kp = Reader(kdf.expect(SEQUENCE, "PBKDF2-params")?);
    let salt = kp.expect(OCTETS, "salt")?;
    let iterations = NonZeroU32::new(small_int(kp.expect(INTEGER, "iterationCount")?)?)
        .ok_or(KeyError::Malformed("zero iterations"))?;
    let mut prf = pbkdf2::PBKDF2_HMAC_SHA1;
    while !kp.is_empty() {
        let d = kp.next()?;
        // keyLength (an INTEGER) is implied by the cipher; the PRF is a SEQUENCE.
        if d.tag == SEQUENCE {
            prf = match Reader(d.body).expect(OID, "prf")? {
                HMAC_SHA1 => pbkdf2::PBKDF2_HMAC_SHA1,
                HMAC_SHA256 => pbkdf2::PBKDF2_HMAC_SHA256,
                HMAC_SHA384 => pbkdf2::PBKDF2_HMAC_SHA384,
                HMAC_SHA512 => pbkdf2::PBKDF2_HMAC_SHA512,
                _ => return Err(KeyError::Unsupported("an unknown PBKDF2 PRF".into())),
            };
        }
    }
    let cipher = scheme.expect(OID, "cipher")?;
    let iv = scheme.expect(OCTETS, "iv")?;
    let key_len = match cipher {
        AES128_CBC => 16,
        AES192_CBC | DES_EDE3_CBC => 24,
        AES256_CBC => 32,
        _ => return Err(KeyError::Unsupported("an unknown cipher".into())),
    };
    let mut key = vec![0u8; key_len];
    pbkdf2::derive(prf, iterations, salt, passphrase, &mut key);
    let alg = match cipher {
        AES128_CBC => &AES_128,
        AES192_CBC => &AES_192,
        AES256_CBC => &AES_256,
        _ => return des3_cbc(&key, iv, data),
    };
    let iv: [u8; 16] = iv
        .try_into()
        .map_err(|_| KeyError::Malformed("iv length"))?;
    let unbound = UnboundCipherKey::new(alg, &key).map_err(|_| KeyError::Malformed("key"))?;
    let dec =
        PaddedBlockDecryptingKey::cbc_pkcs7(unbound).map_err(|_| KeyError::Malformed("cipher"))?;
    let mut buf = data.to_vec();
    let plain = dec
        .decrypt(
            &mut buf,
            aws_lc_rs::cipher::DecryptionContext::Iv128(iv.into()),
        )
        .map_err(|_| KeyError::WrongPassphrase)?;
    Ok(plain.to_vec())
}

/// DES-EDE3-CBC with PKCS#7 padding.
fn des3_cbc(key: &[u8], iv: &[u8], data: &[u8]) -> Result<Vec<u8>, KeyError> {
    use des::cipher::{BlockCipherDecrypt, KeyInit};
    let cipher = des::TdesEde3::new_from_slice(key).map_err(|_| KeyError::Malformed("key"))?;
    let mut prev: [u8; 8] = iv
        .try_into()
        .map_err(|_| KeyError::Malformed("iv length"))?;
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(KeyError::Malformed("ciphertext length"));
    }
    let mut out = Vec::with_capacity(data.len());
    for chunk in data.chunks_exact(8) {
        let block: [u8; 8] = chunk.try_into().map_err(|_| KeyError::Malformed("block"))?;
        let mut b = block.into();
        cipher.decrypt_block(&mut b);
        let plain: [u8; 8] = b.into();
        out.extend(plain.iter().zip(prev).map(|(p, c)| p ^ c));
        prev = block;
    }
    let pad = usize::from(*out.last().ok_or(KeyError::WrongPassphrase)?);
    if pad == 0
        || pad > 8
        || out[out.len() - pad..]
            .iter()
            .any(|&b| usize::from(b) != pad)
    {
        return Err(KeyError::WrongPassphrase);
    }
    out.truncate(out.len() - pad);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_a_key_is_said_without_its_content() {
        assert_eq!(
            PrivateKey::from_pem("hello", None).map(|_| ()),
            Err(KeyError::NotPem)
        );
        let fake = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n";
        let e = PrivateKey::from_pem(fake, None).expect_err("not RSA");
        assert!(matches!(e, KeyError::NotRsa(_)), "{e}");
        assert!(!e.to_string().contains("c2VjcmV0"));
        let enc =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert_eq!(
            PrivateKey::from_pem(enc, None).map(|_| ()),
            Err(KeyError::NoPassphrase)
        );
        assert!(matches!(
            PrivateKey::from_pem(enc, Some(&Secret::new("pw"))),
            Err(KeyError::Malformed(_))
        ));
    }

    #[test]
    fn der_lengths_are_read_in_both_forms() {
        let mut r = Reader(&[0x04, 0x02, 0xaa, 0xbb, 0x30, 0x81, 0x01, 0x05]);
        assert_eq!(r.expect(OCTETS, "a").expect("short"), &[0xaa, 0xbb]);
        assert_eq!(r.expect(SEQUENCE, "b").expect("long"), &[0x05]);
        assert!(r.is_empty());
        assert!(Reader(&[0x04, 0x05, 0x00]).next().is_err(), "truncated");
        assert_eq!(small_int(&[0x00, 0x08, 0x00]), Ok(2048));
    }
}
