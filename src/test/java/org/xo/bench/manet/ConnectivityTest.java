package org.xo.bench.manet;

import static org.junit.Assert.assertTrue;

import java.util.Locale;
import org.junit.Test;

/**
 * Checks that {@link Scenario#DEFAULT_RADIO_RANGE} reproduces the paper's qualitative ordering of the presets
 * (high &lt; medium &lt; low in diameter and in time partitioned), averaged over five seeds, and prints the numbers.
 */
public class ConnectivityTest {
    private static final int SEEDS = 5;

    private static double[] averaged(Scenario preset) {
        double diam = 0;
        double part = 0;
        double degree = 0;
        double max = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            TraceSummary s = TraceSummary.of(Rpgm.generate(preset.withSeed(seed)));
            System.out.println(s.format() + " seed=" + seed);
            diam += s.meanDiameter() / SEEDS;
            part += s.partitionedFraction() / SEEDS;
            degree += s.meanDegree() / SEEDS;
            max = Math.max(max, s.maxDiameter());
        }
        System.out.println(String.format(Locale.ROOT,
                "AVERAGE scenario=%s range=%.0f seeds=%d meanDiameter=%.2f maxDiameter=%.0f partitioned=%.3f "
                        + "meanDegree=%.2f", preset.name(), preset.radioRange(), SEEDS, diam, max, part, degree));
        return new double[] {diam, part, degree};
    }

    @Test
    public void presetsOrderedHighMediumLow() {
        double[] high = averaged(Scenario.high());
        double[] medium = averaged(Scenario.medium());
        double[] low = averaged(Scenario.low());
        double[] ber = averaged(Scenario.ber());

        assertTrue("diameter high < medium", high[0] < medium[0]);
        assertTrue("diameter medium < low", medium[0] < low[0]);
        assertTrue("partitioned high < medium", high[1] < medium[1]);
        assertTrue("partitioned medium < low", medium[1] < low[1]);
        assertTrue("degree high > medium", high[2] > medium[2]);
        assertTrue("degree medium > low", medium[2] > low[2]);

        // paper's descriptions: high "one or two hops, disconnects rare"; low "disconnects common"
        assertTrue("high diameter about one or two hops", high[0] <= 2.5);
        assertTrue("high partitions rare", high[1] < 0.05);
        assertTrue("medium two or three hops", medium[0] >= 2 && medium[0] <= 3.5);
        assertTrue("low partitions common", low[1] > 0.3);
        assertTrue("ber has the geometry of high", Math.abs(ber[0] - high[0]) < 1e-12);
    }
}
