package io.porthole.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class ProcNetTcpTest {

  private static final String TCP =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout"
          + " inode\n"
          + "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0   "
          + "     0 1001 1 0000000000000000 100 0 0 10 0\n"
          + "   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0   "
          + "     0 1002 1 0000000000000000 100 0 0 10 0\n"
          + "   2: 0200D40A:1F90 0100D40A:C350 01 00000000:00000000 00:00000000 00000000     0   "
          + "     0 1003 1 0000000000000000 20 4 30 10 -1\n";

  private static final String TCP6 =
      "  sl  local_address                         remote_address                        st"
          + " tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
          + "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A"
          + " 00000000:00000000 00:00000000 00000000     0        0 2001 1 0 100 0 0 10 0\n"
          + "   1: 00000000000000000000000001000000:0BB8 00000000000000000000000000000000:0000 0A"
          + " 00000000:00000000 00:00000000 00000000     0        0 2002 1 0 100 0 0 10 0\n"
          + "   2: 0000000000000000FFFF00000200D40A:1F90 00000000000000000000000000000000:0000 0A"
          + " 00000000:00000000 00:00000000 00000000     0        0 2003 1 0 100 0 0 10 0\n"
          + "   3: 00000000000000000000000000000000:1F90 0000000000000000FFFF00000100D40A:C351 01"
          + " 00000000:00000000 00:00000000 00000000     0        0 2004 1 0 100 0 0 10 0\n";

  @Test
  @DisplayName("Only LISTEN rows (state 0A) of tcp and tcp6 become listeners, sorted by port")
  void listeners() {
    assertThat(ProcNetTcp.listeners(TCP + TCP6))
        .containsExactly(
            new ProcNetTcp.Listener(80, "::"),
            new ProcNetTcp.Listener(3000, "::1"),
            new ProcNetTcp.Listener(5432, "127.0.0.1"),
            new ProcNetTcp.Listener(8080, "0.0.0.0"),
            new ProcNetTcp.Listener(8080, "::ffff:10.212.0.2"));
  }

  @Test
  @DisplayName("Headers, stderr noise and empty text yield no listeners")
  void noise() {
    assertThat(ProcNetTcp.listeners("")).isEmpty();
    assertThat(ProcNetTcp.listeners("cat: can't open '/proc/net/tcp6': No such file\n")).isEmpty();
    assertThat(ProcNetTcp.listeners(TCP.lines().findFirst().orElseThrow())).isEmpty();
  }

  @Test
  @DisplayName("A listener's JSON names its port, protocol and address")
  void json() {
    assertThat(new ProcNetTcp.Listener(8080, "0.0.0.0").toJson().encode())
        .isEqualTo("{\"port\":8080,\"protocol\":\"tcp\",\"address\":\"0.0.0.0\"}");
  }
}
