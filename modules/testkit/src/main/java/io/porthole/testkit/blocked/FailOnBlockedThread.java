package io.porthole.testkit.blocked;

import io.porthole.testkit.blocked.BlockedThreadReports.Block;
import io.porthole.testkit.blocked.BlockedThreadReports.Report;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ExtensionContext.Store.CloseableResource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fails the test during which Vert.x reported a blocked thread, with the blocked thread's stack in
 * the failure. Registered for every test class through JUnit's extension auto-detection (testkit's
 * {@code junit-platform.properties} and {@code META-INF/services}).
 *
 * <p>A test is accountable from its {@code @BeforeEach} methods to the closing of what it stored,
 * which is when {@code VertxExtension} closes a Vert.x instance injected into the test: this
 * extension checks after the {@code @AfterEach} methods and once more after that closing (its own
 * store entry was put first, so it is closed last). What is reported outside any test (in
 * {@code @BeforeAll}, between tests, in {@code @AfterAll}, or while a class-level Vert.x instance
 * closes) fails the class.
 *
 * <p>A blocked period in which most of the checker's looks caught the thread loading, linking or
 * initializing classes is logged, not failed: that is the JVM's one-time warm-up of a code path (a
 * first TLS handshake, JFR's metadata, a first WebSocket), which a loaded machine stretches far
 * beyond its usual few milliseconds, not the code blocking. The price: a blocking call inside a
 * static initializer passes too, once.
 */
public final class FailOnBlockedThread
    implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback, AfterAllCallback {

  private static final Logger log = LoggerFactory.getLogger(FailOnBlockedThread.class);
  private static final Namespace NAMESPACE = Namespace.create(FailOnBlockedThread.class);
  private static final String OUTSIDE_TESTS = "outside-tests";
  private static final String CLOSING = "closing";
  private static final int MAX_BLOCKS = 5;
  private static final int MAX_FRAMES = 30;

  @Override
  public void beforeAll(ExtensionContext context) {
    BlockedThreadReports.install();
    // reported after the previous class was done with: blamed on this one, not dropped
    List<Report> outside = new ArrayList<>(BlockedThreadReports.drain());
    ExtensionContext.Store store = context.getStore(NAMESPACE);
    store.put(OUTSIDE_TESTS, outside);
    store.put(CLOSING, new CheckWhenClosed(context, "while the class's resources closed"));
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    BlockedThreadReports.install();
    List<Report> earlier = BlockedThreadReports.drain();
    List<Report> outside = outsideTests(context);
    if (outside != null) {
      outside.addAll(earlier);
    } else {
      check(context, earlier, "before the test");
    }
    context
        .getStore(NAMESPACE)
        .put(CLOSING, new CheckWhenClosed(context, "while the test's resources closed"));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    check(context, BlockedThreadReports.drain(), "during the test");
  }

  @Override
  public void afterAll(ExtensionContext context) {
    List<Report> reports = new ArrayList<>();
    List<Report> outside = outsideTests(context);
    if (outside != null) { // null when beforeAll failed
      reports.addAll(outside);
      outside.clear();
    }
    reports.addAll(BlockedThreadReports.drain());
    check(context, reports, "outside its tests (@BeforeAll, between tests, @AfterAll)");
  }

  @SuppressWarnings("unchecked")
  private static List<Report> outsideTests(ExtensionContext context) {
    return (List<Report>) context.getStore(NAMESPACE).get(OUTSIDE_TESTS, List.class);
  }

  private static void check(ExtensionContext context, List<Report> reports, String when) {
    List<Block> blocks = BlockedThreadReports.blocks(reports);
    List<Block> warmUps = blocks.stream().filter(Block::jvmWarmUp).toList();
    if (!warmUps.isEmpty()) {
      log.info(
          "not failing {}: {} blocked period(s) spent loading classes (JVM warm-up):\n{}",
          context.getDisplayName(),
          warmUps.size(),
          describe(warmUps));
    }
    List<Block> failing = blocks.stream().filter(b -> !b.jvmWarmUp()).toList();
    if (!failing.isEmpty()) {
      throw new AssertionError(
          "Vert.x reported a blocked thread in "
              + context.getDisplayName()
              + ", "
              + when
              + " (test limits: event loop "
              + StrictThreadChecks.EVENT_LOOP_LIMIT.toMillis()
              + " ms, worker "
              + StrictThreadChecks.WORKER_LIMIT.toSeconds()
              + " s):\n"
              + describe(failing));
    }
  }

  private static String describe(List<Block> blocks) {
    StringBuilder out = new StringBuilder();
    blocks.stream()
        .limit(MAX_BLOCKS)
        .forEach(
            block -> out.append(out.length() == 0 ? "" : "\n").append(block.describe(MAX_FRAMES)));
    if (blocks.size() > MAX_BLOCKS) {
      out.append("\n... and ").append(blocks.size() - MAX_BLOCKS).append(" more blocked periods");
    }
    return out.toString();
  }

  /** Checks once more when JUnit closes the store it sits in, after the other entries. */
  private record CheckWhenClosed(ExtensionContext context, String when)
      implements CloseableResource {
    @Override
    public void close() {
      check(context, BlockedThreadReports.drain(), when);
    }
  }
}
