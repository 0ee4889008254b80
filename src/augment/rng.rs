//! Per-view random number generators derived from the run seed.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The SplitMix64 finalizer (Steele, Lea and Flood 2014): a bijective
/// 64-bit mix in which every input bit affects every output bit.
fn mix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Builds the RNG for image `index` in `epoch` of a run seeded with `seed`.
///
/// The three values are absorbed one at a time through [`mix64`] and expanded into a
/// 256-bit ChaCha8 key, so neighbouring indices or epochs give unrelated
/// streams and the result does not depend on thread scheduling.
pub fn view_rng(seed: u64, epoch: u64, index: u64) -> ChaCha8Rng {
    // Each value is added to the mixed state so far, not XORed with a
    // mixed copy of itself: XOR would make (seed, epoch) symmetric and map
    // equal seed and epoch to the same stream.
    let mut state = mix64(seed);
    state = mix64(state.wrapping_add(epoch));
    state = mix64(state.wrapping_add(index));
    let mut key = [0u8; 32];
    for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
        let word = mix64(state.wrapping_add(i as u64));
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}
