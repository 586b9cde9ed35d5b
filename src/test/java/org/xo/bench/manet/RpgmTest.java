package org.xo.bench.manet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.junit.Test;

public class RpgmTest {
    private static final double EPS = 1e-9;

    @Test
    public void sameSeedSameTraceBitForBit() {
        for (Scenario s : Scenario.presets()) {
            Trace a = Rpgm.generate(s.withSeed(42));
            Trace b = Rpgm.generate(s.withSeed(42));
            assertTrue(s.name(), a.sameAs(b));
            for (int k = 0; k < a.samples(); k++) {
                for (int i = 0; i < a.nodes(); i++) {
                    assertEquals(Double.doubleToRawLongBits(a.sample(i, k).x()),
                            Double.doubleToRawLongBits(b.sample(i, k).x()));
                    assertEquals(Double.doubleToRawLongBits(a.sample(i, k).y()),
                            Double.doubleToRawLongBits(b.sample(i, k).y()));
                }
            }
        }
    }

    @Test
    public void differentSeedsDiffer() {
        Trace a = Rpgm.generate(Scenario.high().withSeed(1));
        Trace b = Rpgm.generate(Scenario.high().withSeed(2));
        assertFalse(a.sameAs(b));
        assertFalse(a.sample(0, 0).equals(b.sample(0, 0)));
        assertFalse(a.legs().equals(b.legs()));
    }

    @Test
    public void defaultSamplingIsOneSecondOver300Seconds() {
        Trace t = Rpgm.generate(Scenario.high());
        assertEquals(301, t.samples());
        assertEquals(11, t.nodes());
        assertEquals(300.0, t.time(t.samples() - 1), 0);
        Trace half = Rpgm.generate(Scenario.high().withTimeStep(0.5));
        assertEquals(601, half.samples());
        assertEquals(300.0, half.time(half.samples() - 1), 0);
    }

    @Test
    public void everyPositionInsideTheArea() {
        for (Scenario base : Scenario.presets()) {
            for (long seed = 1; seed <= 5; seed++) {
                Scenario s = base.withSeed(seed);
                Trace t = Rpgm.generate(s);
                for (int k = 0; k < t.samples(); k++) {
                    for (int i = 0; i < t.nodes(); i++) {
                        assertInside(s, t.sample(i, k));
                        assertInside(s, t.position(i, t.time(k) + 0.37 * s.timeStep()));
                    }
                }
            }
        }
    }

    @Test
    public void nodesStayWithinRpPlusSrpOfTheCenter() {
        for (Scenario s : Scenario.presets()) {
            Trace t = Rpgm.generate(s);
            double max = 0;
            for (int k = 0; k < t.samples(); k++) {
                for (int i = 0; i < t.nodes(); i++) {
                    double d = t.sample(i, k).distance(t.center(k));
                    assertTrue(d <= s.rpSeparation() + s.nodeSeparation() + EPS);
                    max = Math.max(max, d);
                }
            }
            // the motion vector is really used: nodes get well away from the center
            assertTrue(s.name() + " max " + max, max > 0.8 * s.nodeSeparation());
        }
    }

    @Test
    public void centerLegsRespectSpeedPauseAndInnerBox() {
        for (Scenario base : Scenario.presets()) {
            for (long seed = 1; seed <= 10; seed++) {
                Scenario s = base.withSeed(seed);
                Trace t = Rpgm.generate(s);
                List<Leg> legs = t.legs();
                double m = s.rpSeparation() + s.nodeSeparation();
                assertTrue(legs.size() > 5);
                assertEquals(0.0, legs.get(0).start(), 0);
                for (int j = 0; j < legs.size(); j++) {
                    Leg l = legs.get(j);
                    assertTrue("speed " + l.speed(), l.speed() >= 25 - EPS && l.speed() <= 35 + EPS);
                    assertTrue("pause " + l.pause(), l.pause() >= 0 - EPS && l.pause() <= 4 + EPS);
                    assertEquals(l.from().distance(l.to()) / l.speed(), l.arrive() - l.start(), 1e-9);
                    for (Point p : List.of(l.from(), l.to())) {
                        assertTrue(p.x() >= m && p.x() <= s.width() - m);
                        assertTrue(p.y() >= m && p.y() <= s.height() - m);
                    }
                    if (j > 0) {
                        Leg prev = legs.get(j - 1);
                        assertEquals(prev.pauseEnd(), l.start(), 0);
                        assertEquals(prev.to(), l.from());
                        assertTrue(l.start() < s.duration());
                    }
                }
                assertTrue(legs.get(legs.size() - 1).pauseEnd() >= s.duration());
                // sampled centre speed never exceeds the maximum leg speed
                for (int k = 1; k < t.samples(); k++) {
                    double v = t.center(k).distance(t.center(k - 1)) / s.timeStep();
                    assertTrue("v " + v, v <= 35 + 1e-6);
                }
            }
        }
    }

    @Test
    public void positionInterpolatesLinearlyBetweenSamples() {
        Trace t = Rpgm.generate(Scenario.medium());
        Point a = t.sample(3, 10);
        Point b = t.sample(3, 11);
        Point mid = t.position(3, 10.25);
        assertEquals(a.x() + 0.25 * (b.x() - a.x()), mid.x(), 1e-9);
        assertEquals(a.y() + 0.25 * (b.y() - a.y()), mid.y(), 1e-9);
        assertEquals(a, t.position(3, 10.0));
        assertEquals(t.sample(3, 0), t.position(3, -5));
        assertEquals(t.sample(3, 300), t.position(3, 1e6));
    }

    private static void assertInside(Scenario s, Point p) {
        assertTrue(p.toString(), p.x() >= 0 && p.x() <= s.width());
        assertTrue(p.toString(), p.y() >= 0 && p.y() <= s.height());
    }
}
