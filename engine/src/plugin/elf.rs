//! The check an ELF shared object passes before it is handed to the dynamic loader: the ELF
//! header and the program header table lie inside the file, and so does every segment's file
//! range. The loader `mmap`s the segments; a segment that runs past the end of a truncated file
//! maps pages with nothing behind them, and the first touch kills the process with `SIGBUS`.
//!
//! Plain byte reads, no `unsafe`. ELF32 and ELF64, little and big endian, are checked alike;
//! whether this machine can run the object (class, byte order, architecture) is left to the
//! dynamic loader, which reads the header with `read(2)` and refuses a foreign one cleanly.

/// `\x7fELF`.
pub(super) const MAGIC: [u8; 4] = [0x7f, b'E', b'L', b'F'];

const ELFCLASS32: u8 = 1;
const ELFCLASS64: u8 = 2;
const ELFDATA2LSB: u8 = 1;
const ELFDATA2MSB: u8 = 2;
const ET_DYN: u16 = 3;
const PT_NULL: u32 = 0;
const PT_LOAD: u32 = 1;
/// `e_phnum` escape to section 0's `sh_info` (more than 65534 program headers).
const PN_XNUM: u16 = 0xffff;

/// Offsets and sizes that differ between ELF32 and ELF64.
struct Layout {
    class: &'static str,
    header: usize,
    phoff: usize,
    phentsize: usize,
    phnum: usize,
    ph_size: u16,
    p_offset: usize,
    p_filesz: usize,
    p_memsz: usize,
    word: usize,
}

const ELF32: Layout = Layout {
    class: "ELF32",
    header: 52,
    phoff: 28,
    phentsize: 42,
    phnum: 44,
    ph_size: 32,
    p_offset: 4,
    p_filesz: 16,
    p_memsz: 20,
    word: 4,
};

const ELF64: Layout = Layout {
    class: "ELF64",
    header: 64,
    phoff: 32,
    phentsize: 54,
    phnum: 56,
    ph_size: 56,
    p_offset: 8,
    p_filesz: 32,
    p_memsz: 40,
    word: 8,
};

/// Reads fixed-size integers in the file's byte order.
struct Reader<'a> {
    bytes: &'a [u8],
    little: bool,
}

impl Reader<'_> {
    fn uint(&self, at: u64, size: usize) -> Option<u64> {
        let at = usize::try_from(at).ok()?;
        let raw = self.bytes.get(at..at.checked_add(size)?)?;
        let mut buf = [0u8; 8];
        if self.little {
            buf[..size].copy_from_slice(raw);
            Some(u64::from_le_bytes(buf))
        } else {
            buf[8 - size..].copy_from_slice(raw);
            Some(u64::from_be_bytes(buf))
        }
    }
}

/// The name of a segment type, for messages.
fn segment_name(p_type: u32) -> String {
    match p_type {
        1 => "LOAD".into(),
        2 => "DYNAMIC".into(),
        3 => "INTERP".into(),
        4 => "NOTE".into(),
        6 => "PHDR".into(),
        7 => "TLS".into(),
        0x6474_e550 => "GNU_EH_FRAME".into(),
        0x6474_e551 => "GNU_STACK".into(),
        0x6474_e552 => "GNU_RELRO".into(),
        0x6474_e553 => "GNU_PROPERTY".into(),
        other => format!("type {other:#x}"),
    }
}

/// Checks that `bytes` (a whole file) is an ELF shared object whose header, program header
/// table and segments all lie inside it.
///
/// # Errors
/// What is wrong, as a lowercase phrase naming the offsets involved.
pub(super) fn check(bytes: &[u8]) -> Result<(), String> {
    let len = bytes.len() as u64;
    if bytes.get(..4) != Some(&MAGIC[..]) {
        return Err("it does not start with the ELF magic number".into());
    }
    let (Some(&class), Some(&data), Some(&version)) = (bytes.get(4), bytes.get(5), bytes.get(6))
    else {
        return Err(format!(
            "the {len}-byte file ends inside the ELF identification"
        ));
    };
    let layout = match class {
        ELFCLASS32 => &ELF32,
        ELFCLASS64 => &ELF64,
        other => return Err(format!("unknown ELF class {other}")),
    };
    let little = match data {
        ELFDATA2LSB => true,
        ELFDATA2MSB => false,
        other => return Err(format!("unknown ELF byte order {other}")),
    };
    if version != 1 {
        return Err(format!("unknown ELF version {version}"));
    }
    if bytes.len() < layout.header {
        return Err(format!(
            "the {len}-byte file ends inside the {}-byte {} header",
            layout.header, layout.class
        ));
    }
    let r = Reader { bytes, little };
    // In bounds: the whole header is there.
    let field = |at: usize, size: usize| r.uint(at as u64, size).unwrap_or_default();
    let e_type = field(16, 2);
    if e_type != u64::from(ET_DYN) {
        return Err(format!("ELF type {e_type} is not a shared object"));
    }
    let phoff = field(layout.phoff, layout.word);
    let phentsize = field(layout.phentsize, 2);
    let phnum = field(layout.phnum, 2);
    if phnum == u64::from(PN_XNUM) {
        return Err("more than 65534 program headers is not supported".into());
    }
    if phnum == 0 {
        return Err("it has no program headers".into());
    }
    if phentsize != u64::from(layout.ph_size) {
        return Err(format!(
            "program headers are {phentsize} bytes, {} has {}",
            layout.class, layout.ph_size
        ));
    }
    let table_end = phnum
        .checked_mul(phentsize)
        .and_then(|n| n.checked_add(phoff))
        .filter(|end| *end <= len)
        .ok_or_else(|| {
            format!(
                "the program header table ({phnum} entries at byte {phoff}) runs past the end of \
                 the {len}-byte file"
            )
        })?;
    let mut loads = 0;
    let mut at = phoff;
    let mut index = 0;
    while at < table_end {
        let word = |off: usize| r.uint(at + off as u64, layout.word).unwrap_or_default();
        let p_type = u32::try_from(r.uint(at, 4).unwrap_or_default()).unwrap_or(u32::MAX);
        let (offset, filesz, memsz) = (
            word(layout.p_offset),
            word(layout.p_filesz),
            word(layout.p_memsz),
        );
        at += phentsize;
        index += 1;
        if p_type == PT_NULL {
            continue;
        }
        let name = segment_name(p_type);
        match offset.checked_add(filesz) {
            Some(end) if filesz == 0 || end <= len => {}
            _ => {
                return Err(format!(
                    "segment {} ({name}) needs {filesz} bytes from byte {offset}, past the end \
                     of the {len}-byte file",
                    index - 1
                ));
            }
        }
        if p_type == PT_LOAD {
            loads += 1;
            if filesz > memsz {
                return Err(format!(
                    "segment {} (LOAD) has {filesz} bytes in the file but {memsz} in memory",
                    index - 1
                ));
            }
        }
    }
    if loads == 0 {
        return Err("it has no loadable segment".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    /// A minimal ELF shared object: header, `phnum` program headers right after it, and
    /// `tail` bytes of content; the first header is a LOAD of the whole file.
    fn elf(class: u8, little: bool, phnum: u16, tail: usize) -> Vec<u8> {
        let l = if class == ELFCLASS64 { &ELF64 } else { &ELF32 };
        let total = l.header + usize::from(phnum) * usize::from(l.ph_size) + tail;
        let mut b = vec![0u8; total];
        b[..4].copy_from_slice(&MAGIC);
        b[4] = class;
        b[5] = if little { ELFDATA2LSB } else { ELFDATA2MSB };
        b[6] = 1;
        let put = |b: &mut Vec<u8>, at: usize, size: usize, v: u64| {
            let bytes = if little {
                v.to_le_bytes()[..size].to_vec()
            } else {
                v.to_be_bytes()[8 - size..].to_vec()
            };
            b[at..at + size].copy_from_slice(&bytes);
        };
        put(&mut b, 16, 2, u64::from(ET_DYN));
        put(&mut b, l.phoff, l.word, l.header as u64);
        put(&mut b, l.phentsize, 2, u64::from(l.ph_size));
        put(&mut b, l.phnum, 2, u64::from(phnum));
        for i in 0..usize::from(phnum) {
            let at = l.header + i * usize::from(l.ph_size);
            let p_type = if i == 0 { u64::from(PT_LOAD) } else { 2 };
            let size = if i == 0 { total as u64 } else { 8 };
            put(&mut b, at, 4, p_type);
            put(&mut b, at + l.p_offset, l.word, 0);
            put(&mut b, at + l.p_filesz, l.word, size);
            put(&mut b, at + l.p_memsz, l.word, size);
        }
        b
    }

    #[rstest]
    #[case::elf64_little(ELFCLASS64, true)]
    #[case::elf64_big(ELFCLASS64, false)]
    #[case::elf32_little(ELFCLASS32, true)]
    #[case::elf32_big(ELFCLASS32, false)]
    fn check_whole_object_passes_and_any_truncation_fails(#[case] class: u8, #[case] little: bool) {
        let whole = elf(class, little, 3, 100);
        assert_eq!(check(&whole), Ok(()));
        for cut in 0..whole.len() {
            assert!(check(&whole[..cut]).is_err(), "cut at {cut} must fail");
        }
    }

    #[rstest]
    #[case::inside_the_identification(5, "ends inside the ELF identification")]
    #[case::inside_the_header(40, "ends inside the 64-byte ELF64 header")]
    #[case::inside_the_program_headers(100, "program header table (3 entries at byte 64)")]
    #[case::inside_a_segment(240, "segment 0 (LOAD) needs 332 bytes from byte 0")]
    fn check_truncated_elf64_names_what_is_cut(#[case] cut: usize, #[case] want: &str) {
        let whole = elf(ELFCLASS64, true, 3, 100);
        let err = check(&whole[..cut]).expect_err("truncated");
        assert!(err.contains(want), "{err}");
    }

    #[test]
    fn check_rejects_wrong_type_entry_size_and_unknown_class() {
        let mut exec = elf(ELFCLASS64, true, 1, 0);
        exec[16] = 2;
        assert!(
            check(&exec)
                .expect_err("exec")
                .contains("not a shared object")
        );
        let mut odd = elf(ELFCLASS64, true, 1, 0);
        odd[54] = 40;
        assert!(
            check(&odd)
                .expect_err("size")
                .contains("program headers are 40 bytes")
        );
        let mut class = elf(ELFCLASS64, true, 1, 0);
        class[4] = 9;
        assert!(
            check(&class)
                .expect_err("class")
                .contains("unknown ELF class 9")
        );
        assert!(check(b"MZ\x90\x00").is_err());
    }

    #[test]
    fn check_rejects_offsets_that_overflow() {
        let mut b = elf(ELFCLASS64, true, 1, 0);
        // p_offset = u64::MAX: offset + filesz overflows.
        b[64 + 8..64 + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(
            check(&b)
                .expect_err("overflow")
                .contains("segment 0 (LOAD)")
        );
        let mut b = elf(ELFCLASS64, true, 1, 0);
        b[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(
            check(&b)
                .expect_err("phoff")
                .contains("program header table")
        );
    }
}
