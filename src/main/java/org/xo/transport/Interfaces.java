package org.xo.transport;

import java.io.UncheckedIOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Finds the network interface a node's multicast traffic uses, from what an operator writes in a setting. */
public final class Interfaces {
    /** An IPv4 or IPv6 literal: resolving anything else would start a DNS lookup. */
    private static final Pattern IP_LITERAL =
            Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%\\w]*");

    private Interfaces() {
    }

    /**
     * @param nameOrAddress an interface name ({@code lo}, {@code eth0}) or one of its IP addresses ({@code 127.0.0.1})
     * @throws IllegalArgumentException naming the available interfaces when none matches
     */
    public static NetworkInterface resolve(String nameOrAddress) {
        String key = nameOrAddress == null ? "" : nameOrAddress.trim();
        try {
            NetworkInterface byName = key.isEmpty() ? null : NetworkInterface.getByName(key);
            if (byName != null) {
                return byName;
            }
            if (IP_LITERAL.matcher(key).matches()) {
                NetworkInterface byAddress = NetworkInterface.getByInetAddress(InetAddress.getByName(key));
                if (byAddress != null) {
                    return byAddress;
                }
            }
            throw new IllegalArgumentException("No network interface named or addressed '" + key + "'; available: "
                    + String.join(", ", names()) + ".");
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("'" + key + "' is not a valid IP address; available interfaces: "
                    + String.join(", ", names()) + ".");
        } catch (SocketException e) {
            throw new UncheckedIOException("Cannot list network interfaces", e);
        }
    }

    /**
     * @return the first interface that is up, multicast-capable and not loopback or virtual, else the loopback
     * interface: a default for a node that was not told which interface to use
     */
    public static NetworkInterface defaultMulticast() {
        try {
            NetworkInterface loopback = null;
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!ni.isUp()) {
                    continue;
                }
                if (ni.isLoopback()) {
                    loopback = loopback == null ? ni : loopback;
                } else if (ni.supportsMulticast() && !ni.isVirtual() && ipv4Address(ni).isPresent()) {
                    return ni;
                }
            }
            if (loopback == null) {
                throw new IllegalStateException("No network interface is up.");
            }
            return loopback;
        } catch (SocketException e) {
            throw new UncheckedIOException("Cannot list network interfaces", e);
        }
    }

    /**
     * @return the interface's first IPv4 address: the overlay is IPv4, and the order of an interface's addresses
     * follows {@code java.net.preferIPv6Addresses}, which Openfire 4.8+ sets to {@code system}
     */
    public static Optional<Inet4Address> ipv4Address(NetworkInterface ni) {
        return ni.inetAddresses().filter(Inet4Address.class::isInstance).map(Inet4Address.class::cast).findFirst();
    }

    private static List<String> names() {
        try {
            return Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                    .map(NetworkInterface::getName).sorted().collect(Collectors.toList());
        } catch (SocketException e) {
            return List.of("(cannot list: " + e.getMessage() + ")");
        }
    }
}
