package org.xo.transport;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.channels.DatagramChannel;

/**
 * Run by {@link UdpMulticastTransportTest} in a JVM with a low file descriptor limit: joins groups on {@code lo}
 * until a join fails, then prints how many were joined and the failure's message, one per line.
 */
public final class JoinUntilRefused {
    private JoinUntilRefused() {
    }

    /** @param args the UDP port */
    public static void main(String[] args) throws Exception {
        // As in any JVM that ran a while: the JDK's first channel close needs a descriptor of its own (to set up its
        // FileDispatcherImpl), which would make closing the transport fail once descriptors are exhausted.
        DatagramChannel.open().close();
        UdpConfig config = UdpConfig.on(Interfaces.resolve("lo")).withPort(Integer.parseInt(args[0]));
        try (UdpMulticastTransport transport = new UdpMulticastTransport(config)) {
            transport.start((data, sender) -> { });
            for (int joined = 0; joined < 65_536; joined++) {
                try {
                    transport.join(InetAddress.getByAddress(new byte[] {(byte) 239, (byte) 194,
                            (byte) (joined >> 8), (byte) joined}));
                } catch (IOException e) {
                    System.out.println(joined);
                    System.out.println(e.getMessage());
                    return;
                }
            }
            System.out.println("no join failed");
        }
    }
}
