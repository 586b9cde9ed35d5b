package org.xo.bench.manet;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Reference Point Group Mobility (Hong, Gerla, Pei, Chiang 1999), in the form of the Colorado School of Mines
 * mobility generator the XO paper used, for one group. Deterministic: everything is drawn from a
 * {@link SplittableRandom} seeded with {@link Scenario#seed()}, so the same scenario (seed included) gives the same
 * trace bit for bit.
 *
 * <p>The exact rule:
 * <ol>
 * <li><b>Streams.</b> {@code root = new SplittableRandom(seed)}; {@code centerRng = root.split()} drives the group
 * center, then {@code nodeRng = root.split()} drives reference points and motion vectors. The two are independent,
 * so the number of waypoint legs does not shift the nodes' draws.</li>
 * <li><b>Inner box.</b> Let {@code m = rpSeparation + nodeSeparation}. The group center only ever lives in
 * {@code [m, width - m] x [m, height - m]}, so every node (center + reference offset + motion vector, each of length
 * at most its radius) is inside the area by construction. Positions are still clamped to the area as a guard.</li>
 * <li><b>Group center (random waypoint).</b> Start at a uniform point of the inner box at t = 0. Repeat until a leg
 * starts at or after the end time: draw a uniform waypoint in the inner box, a speed uniform in
 * {@code [max(0, speedMean - speedDelta), speedMean + speedDelta]}, move there in a straight line at that speed, then
 * pause for a time uniform in {@code [max(0, pauseMean - pauseDelta), pauseMean + pauseDelta]}. There is no pause at
 * t = 0.</li>
 * <li><b>Reference points.</b> Once per node, at t = 0: offset from the center of length
 * {@code rpSeparation * U} and angle {@code 2 pi U} (U uniform in [0, 1)). The offset is fixed: reference points
 * translate rigidly with the center.</li>
 * <li><b>Random motion vector.</b> At every sample time {@code k * timeStep} ({@code k = 0 .. floor(duration /
 * timeStep)}), for every node in order: length {@code nodeSeparation * U}, angle {@code 2 pi U}, re-drawn
 * independently per sample (as in the CSM tool: uniform length, uniform direction, so nodes are denser near their
 * reference point). Node position = center + reference offset + motion vector.</li>
 * <li><b>Between samples</b> {@link Trace#position(int, double)} interpolates linearly.</li>
 * </ol>
 */
public final class Rpgm {
    private Rpgm() {
    }

    public static Trace generate(Scenario s) {
        SplittableRandom root = new SplittableRandom(s.seed());
        SplittableRandom centerRng = root.split();
        SplittableRandom nodeRng = root.split();

        double margin = s.rpSeparation() + s.nodeSeparation();
        List<Leg> legs = centerLegs(s, centerRng, margin);

        int n = s.nodes();
        double[] offX = new double[n];
        double[] offY = new double[n];
        for (int i = 0; i < n; i++) {
            double r = s.rpSeparation() * nodeRng.nextDouble();
            double a = 2 * Math.PI * nodeRng.nextDouble();
            offX[i] = r * Math.cos(a);
            offY[i] = r * Math.sin(a);
        }

        int samples = s.samples();
        double[] xs = new double[samples * n];
        double[] ys = new double[samples * n];
        Point[] centers = new Point[samples];
        int leg = 0;
        for (int k = 0; k < samples; k++) {
            double t = k * s.timeStep();
            while (leg + 1 < legs.size() && legs.get(leg + 1).start() <= t) {
                leg++;
            }
            Point c = legs.get(leg).at(t);
            centers[k] = c;
            for (int i = 0; i < n; i++) {
                double r = s.nodeSeparation() * nodeRng.nextDouble();
                double a = 2 * Math.PI * nodeRng.nextDouble();
                xs[k * n + i] = clamp(c.x() + offX[i] + r * Math.cos(a), 0, s.width());
                ys[k * n + i] = clamp(c.y() + offY[i] + r * Math.sin(a), 0, s.height());
            }
        }
        return new Trace(s, List.copyOf(legs), centers, xs, ys);
    }

    private static List<Leg> centerLegs(Scenario s, SplittableRandom rng, double margin) {
        List<Leg> legs = new ArrayList<>();
        Point here = uniform(rng, margin, s.width() - margin, s.height() - margin);
        double t = 0;
        double speedLo = Math.max(0, s.speedMean() - s.speedDelta());
        double speedHi = s.speedMean() + s.speedDelta();
        double pauseLo = Math.max(0, s.pauseMean() - s.pauseDelta());
        double pauseHi = s.pauseMean() + s.pauseDelta();
        do {
            Point to = uniform(rng, margin, s.width() - margin, s.height() - margin);
            double speed = between(rng, speedLo, speedHi);
            double pause = between(rng, pauseLo, pauseHi);
            double dist = here.distance(to);
            double arrive = dist == 0 ? t : speed > 0 ? t + dist / speed : Double.POSITIVE_INFINITY;
            double pauseEnd = arrive + pause;
            legs.add(new Leg(t, here, to, speed, arrive, pauseEnd));
            here = to;
            t = pauseEnd;
        } while (t < s.duration());
        return legs;
    }

    private static Point uniform(SplittableRandom rng, double lo, double hiX, double hiY) {
        double x = between(rng, lo, hiX);
        double y = between(rng, lo, hiY);
        return new Point(x, y);
    }

    private static double between(SplittableRandom rng, double lo, double hi) {
        return hi > lo ? lo + (hi - lo) * rng.nextDouble() : lo;
    }

    private static double clamp(double v, double lo, double hi) {
        return v < lo ? lo : v > hi ? hi : v;
    }
}
