//! Files attached to a case: what kinds there are, which files are accepted, and how big.
//!
//! A file is accepted by what its bytes are, never by the name or the content type the sender
//! claims: only PDF, JPEG and PNG, recognised by their signatures ("magic bytes"), non-empty and
//! at most [`MAX_ATTACHMENT_BYTES`]. [`UploadedFile::parse`] is the one way to get a file the
//! store will keep, so a file that passed it needs no further check.

use crate::codes::code_enum;
use crate::ParseError;

/// The largest file kept: 5 MiB, enough for a scanned consent form or a phone photo, small enough
/// to keep in the database row beside its case.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;

/// The longest file name kept, in characters; longer names are cut (the extension is kept).
pub const MAX_FILE_NAME: usize = 120;

code_enum!(
    /// What a document is, as the worker files it.
    AttachmentKind, "kind of attachment" {
        ConsentForm = "consent_form",
        CourtOrder = "court_order",
        MedicalReport = "medical_report",
        IdentityDocument = "identity_document",
        SchoolReport = "school_report",
        Photo = "photo",
        Other = "other",
    }
);

/// The file types accepted, recognised by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Pdf,
    Jpeg,
    Png,
}

/// What is accepted, in words for an error message.
pub const ACCEPTED_TYPES: &str = "PDF, JPEG or PNG";

impl FileType {
    pub const ALL: [FileType; 3] = [FileType::Pdf, FileType::Jpeg, FileType::Png];

    /// The type the bytes show, if one of the accepted ones. Signatures: PDF `%PDF-` (ISO 32000),
    /// JPEG `FF D8 FF` (a start-of-image and the next marker), PNG its fixed 8-byte signature.
    pub fn sniff(bytes: &[u8]) -> Option<FileType> {
        if bytes.starts_with(b"%PDF-") {
            Some(FileType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileType::Png)
        } else {
            None
        }
    }

    /// The media type sent with the file.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
        }
    }

    pub fn from_mime(mime: &str) -> Option<FileType> {
        FileType::ALL.into_iter().find(|t| t.mime() == mime)
    }

    /// The extension a file of this type should have.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
        }
    }

    fn has_extension(self, name: &str) -> bool {
        let Some((_, ext)) = name.rsplit_once('.') else {
            return false;
        };
        let ext = ext.to_ascii_lowercase();
        match self {
            FileType::Jpeg => ext == "jpg" || ext == "jpeg",
            other => ext == other.extension(),
        }
    }
}

/// Why a file is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FileRefusal {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than the limit of {} MiB ({MAX_ATTACHMENT_BYTES} bytes)", MAX_ATTACHMENT_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("only {ACCEPTED_TYPES} files are accepted (recognised by their content, not their name); this file is none of them")]
    WrongType,
}

/// A file name as kept and shown: no folders, no control characters, not too long, and with the
/// extension of the file's real type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// Cleans the name a sender gave; a missing or empty one becomes `attachment.<ext>`.
    pub fn from_sender(given: Option<&str>, file_type: FileType) -> FileName {
        // Browsers on some systems send the whole path: keep the last part only.
        let base = given
            .unwrap_or_default()
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default();
        let cleaned: String = base
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| if c == '"' { '\'' } else { c })
            .collect();
        let mut name = cleaned.trim().trim_start_matches('.').trim().to_owned();
        if name.is_empty() {
            name = "attachment".to_owned();
        }
        if !file_type.has_extension(&name) {
            name = format!("{name}.{}", file_type.extension());
        }
        if name.chars().count() > MAX_FILE_NAME {
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name.as_str(), ""));
            let keep = MAX_FILE_NAME.saturating_sub(ext.chars().count() + 1);
            name = format!("{}.{ext}", stem.chars().take(keep).collect::<String>());
        }
        FileName(name)
    }

    /// A name read back from the store, already cleaned when kept.
    pub fn from_stored(name: String) -> FileName {
        FileName(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in ASCII only, for the plain `filename=` of a `Content-Disposition` header:
    /// letters outside ASCII, spaces and punctuation become `_` (the full name goes in `filename*`).
    pub fn ascii_fallback(&self) -> String {
        self.0
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    }
}

impl std::fmt::Display for FileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file accepted for keeping: its bytes, its type as the bytes show it, its cleaned name.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    bytes: Vec<u8>,
    file_type: FileType,
    name: FileName,
}

impl UploadedFile {
    /// Accepts the file or says why not; the sender's name and content type play no part.
    pub fn parse(name: Option<&str>, bytes: Vec<u8>) -> Result<UploadedFile, FileRefusal> {
        if bytes.is_empty() {
            return Err(FileRefusal::Empty);
        }
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(FileRefusal::TooLarge);
        }
        let file_type = FileType::sniff(&bytes).ok_or(FileRefusal::WrongType)?;
        Ok(UploadedFile {
            name: FileName::from_sender(name, file_type),
            bytes,
            file_type,
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn file_type(&self) -> FileType {
        self.file_type
    }

    pub fn name(&self) -> &FileName {
        &self.name
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: an empty file is refused by [`UploadedFile::parse`].
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F'];

    #[test]
    fn files_are_recognised_by_their_bytes_not_their_names() {
        assert_eq!(FileType::sniff(PDF), Some(FileType::Pdf));
        assert_eq!(FileType::sniff(PNG), Some(FileType::Png));
        assert_eq!(FileType::sniff(JPEG), Some(FileType::Jpeg));
        // An HTML page or a Windows program named .pdf is neither.
        let html = UploadedFile::parse(Some("consent.pdf"), b"<!doctype html><script>".to_vec());
        assert_eq!(html.unwrap_err(), FileRefusal::WrongType);
        let exe = UploadedFile::parse(Some("scan.pdf"), b"MZ\x90\0\x03\0\0\0".to_vec());
        assert_eq!(exe.unwrap_err(), FileRefusal::WrongType);
        // Almost a signature is not one.
        assert_eq!(FileType::sniff(b"%PDF"), None);
        assert_eq!(FileType::sniff(&[0xFF, 0xD8]), None);
        assert_eq!(FileType::sniff(b"\x89PNG\r\n"), None);
        // A PNG named .pdf is kept as the PNG it is.
        let png = UploadedFile::parse(Some("photo.pdf"), PNG.to_vec()).unwrap();
        assert_eq!(png.file_type().mime(), "image/png");
        assert_eq!(png.name().as_str(), "photo.pdf.png");
    }

    #[test]
    fn empty_and_oversized_files_are_refused_at_the_exact_limit() {
        assert_eq!(
            UploadedFile::parse(Some("a.pdf"), Vec::new()).unwrap_err(),
            FileRefusal::Empty
        );
        let mut at_limit = PDF.to_vec();
        at_limit.resize(MAX_ATTACHMENT_BYTES, b' ');
        assert_eq!(
            UploadedFile::parse(None, at_limit.clone()).unwrap().len(),
            MAX_ATTACHMENT_BYTES
        );
        at_limit.push(b' ');
        assert_eq!(
            UploadedFile::parse(None, at_limit).unwrap_err(),
            FileRefusal::TooLarge
        );
        assert!(FileRefusal::TooLarge.to_string().contains("5 MiB"));
        assert!(FileRefusal::WrongType
            .to_string()
            .contains("PDF, JPEG or PNG"));
    }

    #[test]
    fn file_names_lose_folders_control_characters_and_excess() {
        let name = |given: Option<&str>, t| FileName::from_sender(given, t).as_str().to_owned();
        assert_eq!(
            name(Some("C:\\Users\\aýna\\Razylyk haty.PDF"), FileType::Pdf),
            "Razylyk haty.PDF"
        );
        assert_eq!(name(Some("../../etc/passwd"), FileType::Png), "passwd.png");
        assert_eq!(name(Some("a\r\nb\".jpeg"), FileType::Jpeg), "ab'.jpeg");
        assert_eq!(name(None, FileType::Jpeg), "attachment.jpg");
        assert_eq!(name(Some("  ..  "), FileType::Pdf), "attachment.pdf");
        let long = name(Some(&format!("{}.pdf", "ý".repeat(300))), FileType::Pdf);
        assert_eq!(long.chars().count(), MAX_FILE_NAME);
        assert!(long.ends_with(".pdf"));
        assert_eq!(
            FileName::from_sender(Some("Şaýlaw ýüzi 1.pdf"), FileType::Pdf).ascii_fallback(),
            "_a_law___zi_1.pdf"
        );
    }

    #[test]
    fn kinds_are_a_closed_list() {
        assert_eq!(
            "court_order".parse::<AttachmentKind>(),
            Ok(AttachmentKind::CourtOrder)
        );
        let err = "selfie".parse::<AttachmentKind>().unwrap_err().to_string();
        assert!(err.contains("consent_form"), "{err}");
        assert_eq!(AttachmentKind::ALL.len(), 7);
    }
}
