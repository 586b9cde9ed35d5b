package org.xo.bench.manet;

import java.util.SplittableRandom;

/**
 * Packet loss from a bit error probability P_b, with bit errors independent: a packet of B bytes (8B bits) survives
 * only if every bit does, so
 * <pre>  P_loss(B) = 1 - (1 - P_b)^(8 B)</pre>
 * (computed as {@code -expm1(8 B log1p(-P_b))} for accuracy at small P_b). At P_b = 1e-5 a 100-byte packet is lost
 * with probability about 0.0080, a 1500-byte one about 0.113. Per-packet decisions come from a seeded
 * {@link SplittableRandom}: the same seed and the same sequence of packet sizes give the same decisions.
 */
public final class Loss {
    private final double bitErrorProbability;
    private final SplittableRandom rng;

    public Loss(double bitErrorProbability, long seed) {
        if (!(bitErrorProbability >= 0 && bitErrorProbability <= 1)) {
            throw new IllegalArgumentException("bit error probability must be in [0, 1]: " + bitErrorProbability);
        }
        this.bitErrorProbability = bitErrorProbability;
        this.rng = new SplittableRandom(seed);
    }

    /**
     * Loss of a scenario's channel. Seeded from the scenario's seed XOR a fixed constant, so its draws are not the
     * same stream as the mobility generator's.
     */
    public Loss(Scenario scenario) {
        this(scenario.bitErrorProbability(), scenario.seed() ^ 0x4c4f5353L);
    }

    public double bitErrorProbability() {
        return bitErrorProbability;
    }

    /** Probability that a packet of {@code bytes} bytes has at least one bit error. */
    public static double probability(double bitErrorProbability, int bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes < 0: " + bytes);
        }
        if (bitErrorProbability >= 1) {
            return bytes == 0 ? 0 : 1;
        }
        return -Math.expm1(8.0 * bytes * Math.log1p(-bitErrorProbability));
    }

    public double probability(int bytes) {
        return probability(bitErrorProbability, bytes);
    }

    /** Draws whether the next packet of {@code bytes} bytes is lost. Consumes one draw even when P_b is 0. */
    public boolean lost(int bytes) {
        return rng.nextDouble() < probability(bytes);
    }
}
