package io.porthole.testkit.blocked;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.internal.threadchecker.BlockedThreadChecker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Collects what Vert.x's blocked-thread checker reports in this JVM. The checker of every Vert.x
 * instance logs a warning on {@value BlockedThreadChecker#LOGGER_NAME} from its own timer thread
 * while the thread is still blocked, and again at each check for as long as it stays blocked; a
 * Logback appender on that logger keeps each warning here until {@link #drain()} takes it ({@link
 * FailOnBlockedThread} does, around every test).
 */
public final class BlockedThreadReports {

  /**
   * One warning of the checker: the thread, since when (epoch ms) and for how long it had been
   * blocked, the warning text, and where the thread was when the checker looked.
   */
  public record Report(
      String thread,
      long blockedSinceMs,
      long blockedMs,
      String message,
      List<StackTraceElement> stack) {

    /**
     * Caught in the JVM's own one-time work for the code it runs: loading or defining a class,
     * linking a lambda or another invokedynamic call site, or running a static initializer (which
     * is also where JFR sets its metadata up, when the first event class registers).
     */
    public boolean inClassLoading() {
      return stack.stream().anyMatch(BlockedThreadReports::classLoadingFrame);
    }

    /**
     * Back in its event loop's selector: the blocking task ended between the checker's measure and
     * its stack sample (the checker's own thread was late), so the stack tells nothing.
     */
    public boolean idle() {
      return !stack.isEmpty()
          && stack.get(0).getClassName().equals("sun.nio.ch.EPoll")
          && stack.stream().anyMatch(f -> f.getClassName().startsWith("io.netty.channel.nio."));
    }
  }

  /**
   * One blocked period of one thread, from the warnings the checker repeated while it lasted: the
   * longest duration, and the stack of the first warning that caught the thread at work (taken when
   * it had just passed the limit; a later one may show what ran after the blocking call returned,
   * in the same task). {@code jvmWarmUp}: most warnings that caught the thread at work caught it
   * loading classes ({@link Report#inClassLoading()}); the others ran the cold code around, or the
   * rest of the task.
   */
  public record Block(
      String thread,
      long blockedMs,
      String message,
      List<StackTraceElement> stack,
      int warnings,
      boolean jvmWarmUp) {

    /**
     * The warning followed by the stack as a stack trace prints, its top {@code frames} frames and,
     * from the rest, Porthole's own (deep library recursion would hide who called the library).
     */
    String describe(int frames) {
      StringBuilder out = new StringBuilder(message);
      stack.stream().limit(frames).forEach(frame -> out.append("\n\tat ").append(frame));
      if (stack.size() > frames) {
        List<StackTraceElement> ours =
            stack.subList(frames, stack.size()).stream()
                .filter(frame -> frame.getClassName().startsWith("io.porthole."))
                .limit(frames)
                .toList();
        out.append("\n\t... ").append(stack.size() - frames).append(" more");
        if (!ours.isEmpty()) {
          out.append(", Porthole's among them:");
          ours.forEach(frame -> out.append("\n\tat ").append(frame));
        }
      }
      return out.toString();
    }
  }

  static final String APPENDER = "porthole-blocked-thread-reports";

  /** Kept when nobody drains (the JUnit extension is off): the newest ones win. */
  private static final int MAX_KEPT = 1_000;

  /**
   * Warnings of one blocked period give the same start, give or take the checker's timer jitter;
   * two periods of one thread start at least a limit apart.
   */
  private static final long SAME_START_MS = 100;

  private static final Pattern WARNING =
      Pattern.compile("Thread (.+) has been blocked for (\\d+) ms, time limit is (\\d+) ms");

  private static final Deque<Report> REPORTS = new ArrayDeque<>();

  private BlockedThreadReports() {}

  /**
   * Attaches the recording appender to the checker's logger, unless it is there already (a Logback
   * reset removes it, so callers may call this again at any time).
   *
   * @throws IllegalStateException when SLF4J is not bound to Logback: nothing could be recorded
   */
  public static void install() {
    if (!tryInstall()) {
      throw new IllegalStateException(
          "blocked-thread reports need Logback behind SLF4J, found "
              + LoggerFactory.getILoggerFactory().getClass().getName());
    }
  }

  static synchronized boolean tryInstall() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      return false;
    }
    Logger logger = context.getLogger(BlockedThreadChecker.LOGGER_NAME);
    if (logger.getAppender(APPENDER) == null) {
      Recorder recorder = new Recorder();
      recorder.setName(APPENDER);
      recorder.setContext(context);
      recorder.start();
      logger.addAppender(recorder);
    }
    if (!logger.isWarnEnabled()) {
      logger.setLevel(Level.WARN);
    }
    return true;
  }

  /** Takes every warning recorded since the last call, oldest first. */
  public static List<Report> drain() {
    synchronized (REPORTS) {
      List<Report> out = new ArrayList<>(REPORTS);
      REPORTS.clear();
      return out;
    }
  }

  /**
   * Groups warnings into blocked periods, in order: warnings belong to one period when they name
   * the same thread and the same start. (Threads of two Vert.x instances may share a name; their
   * periods merge only if they started together.)
   */
  public static List<Block> blocks(List<Report> reports) {
    List<List<Report>> periods = new ArrayList<>();
    for (Report report : reports) {
      List<Report> period =
          periods.stream()
              .filter(p -> sameBlock(p.get(0), report))
              .reduce((first, second) -> second)
              .orElse(null);
      if (period == null) {
        periods.add(new ArrayList<>(List.of(report)));
      } else {
        period.add(report);
      }
    }
    return periods.stream().map(BlockedThreadReports::block).toList();
  }

  private static boolean sameBlock(Report a, Report b) {
    return a.thread().equals(b.thread())
        && Math.abs(a.blockedSinceMs() - b.blockedSinceMs()) <= SAME_START_MS;
  }

  private static Block block(List<Report> period) {
    Report longest =
        period.stream().reduce((a, b) -> b.blockedMs() > a.blockedMs() ? b : a).orElseThrow();
    Report sample =
        period.stream().filter(r -> !r.idle() && !r.stack().isEmpty()).findFirst().orElse(longest);
    long loading = period.stream().filter(r -> !r.idle() && r.inClassLoading()).count();
    long working = period.stream().filter(r -> !r.idle() && !r.inClassLoading()).count();
    boolean warmUp = loading > working || (loading == 0 && working == 0);
    return new Block(
        longest.thread(),
        longest.blockedMs(),
        longest.message(),
        sample.stack(),
        period.size(),
        warmUp);
  }

  private static boolean classLoadingFrame(StackTraceElement frame) {
    String type = frame.getClassName();
    String method = frame.getMethodName();
    return method.equals("<clinit>")
        || (type.equals("java.lang.ClassLoader")
            && (method.startsWith("loadClass")
                || method.startsWith("defineClass")
                || method.equals("findBootstrapClass")))
        || (type.equals("java.lang.invoke.MethodHandleNatives") && method.startsWith("link"));
  }

  static void record(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    Matcher m = WARNING.matcher(message);
    boolean parsed = m.find();
    String thread = parsed ? m.group(1) : event.getThreadName();
    long blockedMs = parsed ? Long.parseLong(m.group(2)) : 0;
    List<StackTraceElement> stack = new ArrayList<>();
    IThrowableProxy proxy = event.getThrowableProxy();
    if (proxy != null) {
      Arrays.stream(proxy.getStackTraceElementProxyArray())
          .map(StackTraceElementProxy::getStackTraceElement)
          .forEach(stack::add);
    }
    Report report =
        new Report(
            thread, event.getTimeStamp() - blockedMs, blockedMs, message, List.copyOf(stack));
    synchronized (REPORTS) {
      if (REPORTS.size() == MAX_KEPT) {
        REPORTS.removeFirst();
      }
      REPORTS.addLast(report);
    }
  }

  private static final class Recorder extends AppenderBase<ILoggingEvent> {
    @Override
    protected void append(ILoggingEvent event) {
      if (event.getLevel().isGreaterOrEqual(Level.WARN)) {
        record(event);
      }
    }
  }
}
