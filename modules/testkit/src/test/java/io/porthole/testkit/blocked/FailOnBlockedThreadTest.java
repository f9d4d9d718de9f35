package io.porthole.testkit.blocked;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Runs {@link Sample}, whose tests block an event loop on purpose, in a JUnit launcher of its own
 * and checks that exactly the blocking tests fail, with the stack of the blocked thread.
 */
class FailOnBlockedThreadTest {

  @Test
  @DisplayName(
      "The test that blocked an event loop fails with the blocked stack; the tests around it pass,"
          + " and so does one whose event loop only initialized a class slowly")
  void failsTheBlockingTest() {
    Map<String, TestExecutionResult> results = run(Sample.class);

    assertThat(results)
        .containsOnlyKeys("before", "blocks", "blocksWhileClosing", "initializesSlowly", "after");
    assertThat(results.get("before").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    assertThat(results.get("initializesSlowly").getStatus())
        .isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    assertThat(results.get("after").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);

    TestExecutionResult blocks = results.get("blocks");
    assertThat(blocks.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(blocks.getThrowable().orElseThrow())
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Vert.x reported a blocked thread in blocks(")
        .hasMessageContaining("), during the test")
        .hasMessageContaining("has been blocked for")
        .hasMessageContaining("time limit is " + BlockedThreadReportsTest.LIMIT_MS + " ms")
        .hasMessageContaining("java.lang.Thread.sleep(Native Method)")
        .hasMessageContaining(Sample.class.getName() + ".lambda$blocks$");

    TestExecutionResult closing = results.get("blocksWhileClosing");
    assertThat(closing.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
    assertThat(closing.getThrowable().orElseThrow())
        .hasMessageContaining("in blocksWhileClosing(")
        .hasMessageContaining("), while the test's resources closed")
        .hasMessageContaining("java.lang.Thread.sleep(Native Method)");
  }

  private static Map<String, TestExecutionResult> run(Class<?> testClass) {
    Map<String, TestExecutionResult> results = new LinkedHashMap<>();
    TestExecutionListener listener =
        new TestExecutionListener() {
          @Override
          public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            id.getSource()
                .filter(MethodSource.class::isInstance)
                .map(source -> ((MethodSource) source).getMethodName())
                .ifPresent(method -> results.put(method, result));
          }
        };
    LauncherFactory.create()
        .execute(
            LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(testClass))
                .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
                .build(),
            listener);
    return results;
  }

  /**
   * Blocks on purpose: runs only inside {@link #run}. Surefire never runs it on its own: a nested
   * class is outside its default includes ({@code **}{@code /*$*} is excluded).
   */
  @ExtendWith(VertxExtension.class)
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  static class Sample {

    @Test
    @Order(1)
    void before(Vertx vertx, VertxTestContext ctx) {
      vertx.setTimer(300, id -> ctx.completeNow());
    }

    @Test
    @Order(2)
    void blocks(Vertx vertx, VertxTestContext ctx) {
      vertx.runOnContext(
          v -> {
            BlockedThreadReportsTest.sleep(BlockedThreadReportsTest.BLOCK_MS);
            ctx.completeNow();
          });
    }

    @Test
    @Order(3)
    void blocksWhileClosing(Vertx vertx, VertxTestContext ctx) {
      vertx
          .deployVerticle(
              new VerticleBase() {
                @Override
                public Future<?> stop() throws Exception {
                  BlockedThreadReportsTest.sleep(BlockedThreadReportsTest.BLOCK_MS);
                  return super.stop();
                }
              })
          .onComplete(ctx.succeedingThenComplete());
    }

    static final class SlowToInitialize {
      static final long READY = System.nanoTime();

      static {
        BlockedThreadReportsTest.sleep(BlockedThreadReportsTest.BLOCK_MS);
      }
    }

    @Test
    @Order(4)
    void initializesSlowly(Vertx vertx, VertxTestContext ctx) {
      vertx.runOnContext(
          v -> ctx.verify(() -> assertThat(SlowToInitialize.READY).isPositive()).completeNow());
    }

    @Test
    @Order(5)
    void after(Vertx vertx, VertxTestContext ctx) {
      vertx.setTimer(300, id -> ctx.completeNow());
    }
  }
}
