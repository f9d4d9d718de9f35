package io.porthole.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SubnetPlannerTest {

  @Test
  @DisplayName("Each nesting level has its own /16: 10.212 at depth 0, 10.213 at depth 1")
  void ranges() {
    assertThat(SubnetPlanner.range(0)).isEqualTo("10.212.0.0/16");
    assertThat(SubnetPlanner.range(1)).isEqualTo("10.213.0.0/16");
    assertThat(SubnetPlanner.pick(1, List.of(), "ses_a").orElseThrow()).startsWith("10.213.");
    assertThat(SubnetPlanner.overlaps(SubnetPlanner.range(0), SubnetPlanner.range(1))).isFalse();
  }

  @Test
  @DisplayName("A picked /24 overlaps none of the engine's subnets, of any size")
  void avoidsTaken() {
    List<String> taken = new ArrayList<>(List.of("172.17.0.0/16", "10.212.0.0/17", "fd00::/64"));
    for (int i = 0; i < 20; i++) {
      String s = SubnetPlanner.pick(0, taken, "ses_" + i).orElseThrow();
      assertThat(s).matches("10\\.212\\.(12[89]|1[3-9][0-9]|2[0-4][0-9]|25[0-5])\\.0/24");
      assertThat(taken).noneMatch(t -> SubnetPlanner.overlaps(s, t));
      taken.add(s);
    }
  }

  @Test
  @DisplayName("When the level's /16 is full, nothing is picked")
  void full() {
    assertThat(SubnetPlanner.pick(0, List.of("10.0.0.0/8"), "ses_x")).isEmpty();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < SubnetPlanner.SLOTS; i++) {
      all.add("10.212." + i + ".0/24");
    }
    assertThat(SubnetPlanner.pick(0, all, "ses_y")).isEmpty();
    assertThat(SubnetPlanner.pick(1, all, "ses_y")).isPresent();
  }

  @Test
  @DisplayName("Overlap is decided on the shorter prefix; malformed CIDRs never overlap")
  void overlaps() {
    assertThat(SubnetPlanner.overlaps("10.212.3.0/24", "10.212.3.128/25")).isTrue();
    assertThat(SubnetPlanner.overlaps("10.212.3.0/24", "10.212.4.0/24")).isFalse();
    assertThat(SubnetPlanner.overlaps("0.0.0.0/0", "10.1.2.3/32")).isTrue();
    assertThat(SubnetPlanner.overlaps("10.212.3.0", "10.212.3.0/24")).isFalse();
    assertThat(SubnetPlanner.overlaps("10.212.300.0/24", "10.212.3.0/24")).isFalse();
  }
}
