//! Inputs shared by the benches.

/// A typical header: a few vendors.
pub const FOUR: &str = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE,vendor@tenant=opaque-1,ot=th:c";

/// 32 members, 511 bytes: the most a 512-byte state holds.
pub fn thirty_two() -> String {
    let members: Vec<String> = (0..32)
        .map(|i| {
            format!(
                "k{i:02}={:011x}",
                0x00f0_67aa_0ba9u64.wrapping_mul(i + 1) & 0xfff_ffff_ffff
            )
        })
        .collect();
    let s = members.join(",");
    assert_eq!(s.len(), 511);
    s
}
