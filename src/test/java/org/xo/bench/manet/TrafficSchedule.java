package org.xo.bench.manet;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The chat traffic of the XO paper's MANET experiment, generated once and replayed by both systems so that they see
 * the same messages at the same times. Per the paper, every node sends one sentence of the Declaration of
 * Independence at a time, with exponentially distributed gaps of rate {@link #PAPER_RATE} per second per node.
 * Deterministic: the same arguments (seed included) give the same schedule.
 *
 * <p>The exact rule:
 * <ol>
 * <li><b>Streams.</b> {@code root = new SplittableRandom(seed ^ 0x545246L)}; for node {@code 0 .. nodes - 1} in
 * order, {@code rng = root.split()}. Each node has its own stream, so adding a node does not shift the others'
 * draws.</li>
 * <li><b>Times.</b> A gap is {@code -ln(1 - U) / rate} with {@code U = rng.nextDouble()} (exponential with mean
 * {@code 1 / rate}; {@code 1 - U} is in (0, 1], so the gap is finite). A node's first send is one gap after t = 0;
 * each next send is one more gap later; the node stops at the first time not below {@code duration}, which is not
 * sent.</li>
 * <li><b>Bodies.</b> Node {@code k}'s {@code j}-th send (j from 0) carries sentence
 * {@code (k * 7 + j) % sentences.size()} of {@link #declaration()}, so different nodes start at different
 * sentences. The body is the bare sentence; the benchmark driver adds its own message id.</li>
 * <li><b>Order.</b> All sends are sorted by time, then by sender, and numbered 0, 1, ... in that order.</li>
 * </ol>
 */
public final class TrafficSchedule {
    /** Messages per second per node (the paper's lambda). */
    public static final double PAPER_RATE = 0.2;

    private static final String DECLARATION_RESOURCE = "/manet/declaration.txt";
    private static final long STREAM_SALT = 0x545246L;
    private static final int SENTENCE_STRIDE = 7;

    /**
     * One message to send.
     *
     * @param message number of the message, dense from 0 in schedule order
     * @param sender  sending node
     * @param at      seconds from the start of traffic
     * @param body    the sentence to send
     */
    public record Send(int message, int sender, double at, String body) {
    }

    private final int nodes;
    private final List<Send> sends;

    private TrafficSchedule(int nodes, List<Send> sends) {
        this.nodes = nodes;
        this.sends = List.copyOf(sends);
    }

    /**
     * Sentences from the resource {@value #DECLARATION_RESOURCE}, in order; lines starting with {@code #} and blank
     * lines are skipped.
     *
     * @throws IllegalStateException if the resource is missing or holds no sentence
     */
    public static List<String> declaration() {
        List<String> sentences = new ArrayList<>();
        try (InputStream in = TrafficSchedule.class.getResourceAsStream(DECLARATION_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + DECLARATION_RESOURCE + " not found on the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                String sentence = line.strip();
                if (!sentence.isEmpty() && !sentence.startsWith("#")) {
                    sentences.add(sentence);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + DECLARATION_RESOURCE, e);
        }
        if (sentences.isEmpty()) {
            throw new IllegalStateException("resource " + DECLARATION_RESOURCE + " holds no sentence");
        }
        return List.copyOf(sentences);
    }

    /**
     * Every node sends from t = 0 until {@code duration} (exclusive) with exponential gaps of mean {@code 1 / rate};
     * seeded. See the class comment for the exact rule.
     *
     * @param nodes    number of sending nodes, at least 1
     * @param duration end of traffic in seconds, finite and positive
     * @param rate     messages per second per node, finite and positive
     * @param seed     seed of the generator; equal seeds give identical schedules
     */
    public static TrafficSchedule generate(int nodes, double duration, double rate, long seed) {
        if (nodes < 1) {
            throw new IllegalArgumentException("nodes must be >= 1: " + nodes);
        }
        // the upper bounds also reject infinity, which would never end the loop below
        if (!(duration > 0 && duration < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("duration must be finite and > 0: " + duration);
        }
        if (!(rate > 0 && rate < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("rate must be finite and > 0: " + rate);
        }
        List<String> sentences = declaration();
        SplittableRandom root = new SplittableRandom(seed ^ STREAM_SALT);
        List<Send> unnumbered = new ArrayList<>();
        for (int node = 0; node < nodes; node++) {
            SplittableRandom rng = root.split();
            long index = 0;
            for (double at = gap(rng, rate); at < duration; at += gap(rng, rate), index++) {
                int sentence = (int) ((node * (long) SENTENCE_STRIDE + index) % sentences.size());
                unnumbered.add(new Send(-1, node, at, sentences.get(sentence)));
            }
        }
        // List.sort is stable, so a node's own (practically impossible) equal times keep their sending order
        unnumbered.sort(Comparator.comparingDouble(Send::at).thenComparingInt(Send::sender));
        List<Send> numbered = new ArrayList<>(unnumbered.size());
        for (Send s : unnumbered) {
            numbered.add(new Send(numbered.size(), s.sender(), s.at(), s.body()));
        }
        return new TrafficSchedule(nodes, numbered);
    }

    private static double gap(SplittableRandom rng, double rate) {
        return -Math.log(1 - rng.nextDouble()) / rate;
    }

    /** All sends, sorted by time, then sender; message numbers are 0, 1, ... in this order. */
    public List<Send> sends() {
        return sends;
    }

    /** One node's sends, in time order. */
    public List<Send> sendsOf(int node) {
        if (node < 0 || node >= nodes) {
            throw new IllegalArgumentException("node must be in [0, " + nodes + "): " + node);
        }
        return sends.stream().filter(s -> s.sender() == node).toList();
    }

    /** Number of sends. */
    public int size() {
        return sends.size();
    }
}
