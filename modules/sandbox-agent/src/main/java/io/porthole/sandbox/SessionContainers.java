package io.porthole.sandbox;

import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.sandbox.impl.DockerContainerRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dev containers of the sessions placed on this sandbox: each session gets a container, its own
 * bridge network (a /24 of {@code 10.(212+depth).0.0/16}) and a volume for {@code /var/lib/docker},
 * all labelled with {@code porthole.session}, {@code porthole.sandbox} and {@code porthole.depth}.
 * Knows each running container's IP (from docker inspect) for forwarding.
 *
 * <p>Every method but the cache accessors blocks on the engine: call them from a worker. Calls for
 * one session are serialised; calls for different sessions run in parallel.
 */
public final class SessionContainers {

  public static final String LABEL_SESSION = "porthole.session";
  public static final String LABEL_SANDBOX = "porthole.sandbox";
  public static final String LABEL_DEPTH = "porthole.depth";

  /** What a session id may look like (it becomes part of Docker object names). */
  public static final String SESSION_ID_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]{0,127}";

  /** Where the per-session volume is mounted: nested Docker needs a real filesystem there. */
  public static final String DOCKER_DATA_PATH = "/var/lib/docker";

  /** Where the host's Docker socket appears for a session that opted in. */
  public static final String HOST_DOCKER_SOCKET = "/var/run/host-docker.sock";

  private static final Logger log = LoggerFactory.getLogger(SessionContainers.class);
  private static final Logger audit = LoggerFactory.getLogger("io.porthole.audit");
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  private static final Duration LOGS_TIMEOUT = Duration.ofSeconds(10);
  private static final int NETWORK_ATTEMPTS = 8;
  private static final int LOCK_STRIPES = 64;

  private record Target(String containerId, String ip) {}

  private final ContainerRuntime runtime;
  private final SandboxConfig cfg;
  private final String hostSocket;
  private final Map<String, Target> targets = new ConcurrentHashMap<>();
  private final AtomicLong epoch = new AtomicLong();
  private final Map<String, Integer> creating = new ConcurrentHashMap<>();
  private final Object[] locks = new Object[LOCK_STRIPES];
  private final Object networkLock = new Object();
  private final Object reconcileLock = new Object();

  public SessionContainers(ContainerRuntime runtime, SandboxConfig cfg) {
    this.runtime = runtime;
    this.cfg = cfg;
    this.hostSocket = DockerContainerRuntime.socketPath(cfg.dockerHost());
    for (int i = 0; i < LOCK_STRIPES; i++) {
      locks[i] = new Object();
    }
  }

  public SandboxConfig config() {
    return cfg;
  }

  /** The Docker name of a session's container and network on this sandbox. */
  public String containerName(String sessionId) {
    return "porthole-" + cfg.sandboxId() + "-" + sessionId;
  }

  private String volumeName(String sessionId) {
    return containerName(sessionId) + "-docker";
  }

  private Map<String, String> labels(String sessionId) {
    return Map.of(
        LABEL_SESSION,
        sessionId,
        LABEL_SANDBOX,
        cfg.sandboxId(),
        LABEL_DEPTH,
        Integer.toString(cfg.depth()));
  }

  private Object lock(String sessionId) {
    return locks[Math.floorMod(sessionId.hashCode(), LOCK_STRIPES)];
  }

  // ---- lifecycle ----

  /**
   * Creates and starts a session's dev container, or returns the existing one (started if it was
   * stopped). {@code FORBIDDEN} when it asks for privileges the sandbox does not allow.
   */
  public SessionContainer create(CreateRequest req) {
    String sid = req.sessionId();
    if (req.privileged() && !cfg.allowPrivileged()) {
      throw new PortholeException(
          ErrorCode.FORBIDDEN,
          "sandbox "
              + cfg.sandboxId()
              + " does not allow privileged dev containers (sandbox.allow_privileged)");
    }
    if (req.hostDocker() && !cfg.allowHostDocker()) {
      throw new PortholeException(
          ErrorCode.FORBIDDEN,
          "sandbox "
              + cfg.sandboxId()
              + " does not allow access to the host's Docker (sandbox.allow_host_docker)");
    }
    creating.merge(sid, 1, Integer::sum);
    try {
      synchronized (lock(sid)) {
        long seen = epoch.get();
        Optional<ContainerInfo> existing = findOurs(sid);
        if (existing.isPresent()) {
          ContainerInfo c = existing.get();
          if (!c.running()) {
            runtime.startContainer(c.id());
            c = runtime.inspectContainer(c.id()).orElse(c);
          }
          log.info("session {}: dev container {} already exists ({})", sid, c.id(), c.status());
          return remember(c, seen);
        }
        return createNew(req, seen);
      }
    } finally {
      creating.computeIfPresent(sid, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  private SessionContainer createNew(CreateRequest req, long seen) {
    String sid = req.sessionId();
    String image = req.image() == null ? cfg.image() : req.image();
    if (!runtime.hasImage(image)) {
      throw req.image() == null
          ? new PortholeException(
              ErrorCode.UNAVAILABLE,
              "sandbox " + cfg.sandboxId() + " lacks its dev-container image " + image)
          : new PortholeException(
              ErrorCode.INVALID,
              "image " + image + " does not exist on sandbox " + cfg.sandboxId());
    }
    Map<String, String> labels = labels(sid);
    Map<String, String> containerLabels = new HashMap<>(req.labels());
    containerLabels.putAll(labels);
    Map<String, String> env = new LinkedHashMap<>(req.env());
    env.put("PORTHOLE_SESSION_ID", sid);
    env.put("PORTHOLE_SANDBOX_ID", cfg.sandboxId());
    // a Porthole sandbox started inside this container is one level deeper
    env.put("PORTHOLE_SANDBOX_DEPTH", Integer.toString(cfg.depth() + 1));
    if (req.apiUrl() != null) {
      env.put("PORTHOLE_API_URL", req.apiUrl());
    }
    Map<String, String> binds = Map.of();
    if (req.hostDocker()) {
      binds = Map.of(hostSocket, HOST_DOCKER_SOCKET);
      audit.warn(
          "AUDIT host_docker granted: session {} on sandbox {} gets the host Docker socket {} at"
              + " {}",
          sid,
          cfg.sandboxId(),
          hostSocket,
          HOST_DOCKER_SOCKET);
    }
    String name = containerName(sid);
    try {
      runtime.createVolume(volumeName(sid), labels);
      NetworkInfo net = ensureNetwork(sid, labels);
      ContainerSpec spec =
          new ContainerSpec(
              name,
              image,
              req.command(),
              hostname(sid),
              env,
              containerLabels,
              net.name(),
              Map.of(volumeName(sid), DOCKER_DATA_PATH),
              binds,
              cfg.cpuMillis() * 1_000_000L,
              cfg.memoryMb() * 1024L * 1024L,
              req.privileged(),
              cfg.privilegedDropCaps());
      String id = runtime.createContainer(spec);
      startOrExplain(id, req);
      ContainerInfo c =
          runtime
              .inspectContainer(id)
              .orElseThrow(
                  () ->
                      new PortholeException(
                          ErrorCode.INTERNAL, "container " + id + " vanished after its start"));
      SessionContainer out = remember(c, seen);
      log.info(
          "session {}: dev container {} ({}) on {} at {}{}",
          sid,
          c.id(),
          image,
          net.name(),
          out.ip(),
          req.privileged() ? " (privileged)" : "");
      return out;
    } catch (PortholeException e) {
      if (e.code() != ErrorCode.UNAVAILABLE) {
        log.warn("session {}: create failed, removing what it made: {}", sid, e.getMessage());
        removeObjects(sid);
      }
      throw e;
    }
  }

  /** The session id as a host name: '-' for '_' and '.', at most 63 characters. */
  static String hostname(String sid) {
    String h = sid.replace('_', '-').replace('.', '-');
    h = h.length() > 63 ? h.substring(0, 63) : h;
    return h.replaceAll("-+$", "");
  }

  private void startOrExplain(String id, CreateRequest req) {
    try {
      runtime.startContainer(id);
    } catch (PortholeException e) {
      if (req.privileged() && e.getMessage().contains("apply caps")) {
        throw new PortholeException(
            ErrorCode.INTERNAL,
            "the Docker engine of sandbox "
                + cfg.sandboxId()
                + " cannot start a privileged container (its host lacks some capabilities): list"
                + " them in sandbox.privileged_drop_caps, e.g. [\"SYS_RESOURCE\"] ("
                + e.getMessage()
                + ")",
            e);
      }
      throw e;
    }
  }

  /** The session's network, created on a free /24 of this level's range when missing. */
  private NetworkInfo ensureNetwork(String sid, Map<String, String> labels) {
    String name = containerName(sid);
    synchronized (networkLock) {
      Set<String> tried = new HashSet<>();
      PortholeException last = null;
      for (int attempt = 0; attempt < NETWORK_ATTEMPTS; attempt++) {
        Optional<NetworkInfo> existing = runtime.inspectNetwork(name);
        if (existing.isPresent()) {
          if (!labels.equals(ours(existing.get().labels()))) {
            throw new PortholeException(
                ErrorCode.CONFLICT, "network " + name + " exists and is not this session's");
          }
          return existing.get();
        }
        List<String> taken = new ArrayList<>(tried);
        runtime.listNetworks(Map.of()).forEach(n -> taken.addAll(n.subnets()));
        String subnet =
            SubnetPlanner.pick(cfg.depth(), taken, sid + "#" + attempt)
                .orElseThrow(
                    () ->
                        new PortholeException(
                            ErrorCode.QUOTA_EXCEEDED,
                            "no free /24 left in "
                                + SubnetPlanner.range(cfg.depth())
                                + " on sandbox "
                                + cfg.sandboxId()));
        try {
          runtime.createNetwork(name, subnet, labels);
        } catch (PortholeException e) {
          if (e.code() == ErrorCode.UNAVAILABLE) {
            throw e;
          }
          // another engine user took the subnet (or the name) first: look again
          log.debug("session {}: network on {} refused: {}", sid, subnet, e.getMessage());
          tried.add(subnet);
          last = e;
        }
      }
      throw last != null
          ? last
          : new PortholeException(ErrorCode.INTERNAL, "could not create network " + name);
    }
  }

  private static Map<String, String> ours(Map<String, String> labels) {
    Map<String, String> out = new HashMap<>();
    for (String k : List.of(LABEL_SESSION, LABEL_SANDBOX, LABEL_DEPTH)) {
      if (labels.containsKey(k)) {
        out.put(k, labels.get(k));
      }
    }
    return out;
  }

  /** Stops and removes a session's container, network and volume; false when none existed. */
  public boolean remove(String sid) {
    synchronized (lock(sid)) {
      boolean removed = removeObjects(sid);
      if (removed) {
        log.info("session {}: dev container, network and volume removed", sid);
      }
      return removed;
    }
  }

  private boolean removeObjects(String sid) {
    forget(sid);
    Map<String, String> mine = Map.of(LABEL_SANDBOX, cfg.sandboxId(), LABEL_SESSION, sid);
    boolean any = false;
    for (ContainerInfo c : runtime.listContainers(mine)) {
      runtime.stopContainer(c.id(), STOP_GRACE);
      any |= runtime.removeContainer(c.id());
    }
    for (NetworkInfo n : runtime.listNetworks(mine)) {
      any |= runtime.removeNetwork(n.id());
    }
    for (VolumeInfo v : runtime.listVolumes(mine)) {
      any |= runtime.removeVolume(v.name());
    }
    forget(sid);
    return any;
  }

  /** A session's dev container. {@code NOT_FOUND} when this sandbox has none for it. */
  public SessionContainer status(String sid) {
    long seen = epoch.get();
    return remember(require(sid), seen);
  }

  /** Every dev container of this sandbox. */
  public List<SessionContainer> list() {
    List<SessionContainer> out = new ArrayList<>();
    long seen = epoch.get();
    for (ContainerInfo c : runtime.listContainers(Map.of(LABEL_SANDBOX, cfg.sandboxId()))) {
      if (c.label(LABEL_SESSION) != null) {
        out.add(remember(c, seen));
      }
    }
    return out;
  }

  /** The end of a session's container output. */
  public LogTail logs(String sid, LogQuery query) {
    return runtime.logs(require(sid).id(), query, LOGS_TIMEOUT);
  }

  /** The TCP ports listening inside a session's container; none when it is not running. */
  public List<ProcNetTcp.Listener> ports(String sid) {
    ContainerInfo c = require(sid);
    if (!c.running()) {
      return List.of();
    }
    return ProcNetTcp.listeners(runtime.procNetTcp(c.id()));
  }

  /** What a reconcile did: sessions adopted, sessions whose objects were removed, failures. */
  public record Reconciled(
      List<String> adopted, List<String> removed, Map<String, String> failed) {}

  /**
   * Makes the engine match the live sessions: containers of live sessions are adopted (started if
   * stopped, their IPs re-read); containers, networks and volumes of this sandbox whose session is
   * not live are removed. A session being created right now is left alone.
   */
  public Reconciled reconcile(Set<String> live) {
    synchronized (reconcileLock) {
      Set<String> adopted = new TreeSet<>();
      Set<String> orphans = new TreeSet<>();
      Map<String, String> failed = new LinkedHashMap<>();
      Map<String, String> mine = Map.of(LABEL_SANDBOX, cfg.sandboxId());
      for (ContainerInfo c : runtime.listContainers(mine)) {
        String sid = c.label(LABEL_SESSION);
        if (sid != null && live.contains(sid)) {
          try {
            adopt(sid);
            adopted.add(sid);
          } catch (PortholeException e) {
            if (e.code() == ErrorCode.UNAVAILABLE) {
              throw e;
            }
            failed.put(sid, e.getMessage());
          }
        } else {
          orphans.add(sid == null ? "" : sid);
        }
      }
      runtime
          .listNetworks(mine)
          .forEach(n -> orphans.add(n.labels().getOrDefault(LABEL_SESSION, "")));
      runtime
          .listVolumes(mine)
          .forEach(v -> orphans.add(v.labels().getOrDefault(LABEL_SESSION, "")));
      orphans.removeAll(live);
      orphans.remove("");
      List<String> removed = new ArrayList<>();
      for (String sid : orphans) {
        if (creating.containsKey(sid)) {
          continue;
        }
        try {
          if (remove(sid)) {
            removed.add(sid);
          }
        } catch (PortholeException e) {
          if (e.code() == ErrorCode.UNAVAILABLE) {
            throw e;
          }
          failed.put(sid, e.getMessage());
        }
      }
      log.info(
          "sandbox {} reconciled: {} live, adopted {}, removed {}{}",
          cfg.sandboxId(),
          live.size(),
          adopted,
          removed,
          failed.isEmpty() ? "" : ", failed " + failed);
      return new Reconciled(List.copyOf(adopted), removed, failed);
    }
  }

  private void adopt(String sid) {
    synchronized (lock(sid)) {
      long seen = epoch.get();
      ContainerInfo c = require(sid);
      if (!c.running()) {
        log.info("session {}: starting its stopped dev container {}", sid, c.id());
        runtime.startContainer(c.id());
        c = runtime.inspectContainer(c.id()).orElse(c);
      }
      remember(c, seen);
    }
  }

  /**
   * Re-reads the IPs of every running dev container of this sandbox (start-up, or the engine came
   * back); removes nothing. Returns the sessions whose containers run.
   */
  public List<String> adoptRunning() {
    invalidateAll();
    List<String> out = new ArrayList<>();
    for (SessionContainer c : list()) {
      if (c.running()) {
        out.add(c.sessionId());
      }
    }
    return out;
  }

  // ---- forwarding targets ----

  /**
   * The address of a session's running dev container on this sandbox, from docker inspect (and
   * remembered): {@code NOT_FOUND} when there is none, {@code BAD_GATEWAY} when it is not running.
   */
  public String targetIp(String sid) {
    long seen = epoch.get();
    ContainerInfo c =
        findOurs(sid)
            .orElseThrow(
                () ->
                    new PortholeException(
                        ErrorCode.NOT_FOUND,
                        "session " + sid + " has no dev container on sandbox " + cfg.sandboxId()));
    String ip = ipOf(c);
    if (!c.running() || ip == null) {
      throw new PortholeException(
          ErrorCode.BAD_GATEWAY,
          "the dev container of session " + sid + " is not running (" + c.status() + ")");
    }
    if (epoch.get() == seen) {
      targets.put(sid, new Target(c.id(), ip));
    }
    return ip;
  }

  /** The remembered IP of a session's running container, if any (does not block). */
  public Optional<String> cachedIp(String sid) {
    Target t = targets.get(sid);
    return t == null ? Optional.empty() : Optional.of(t.ip());
  }

  /** Forgets a session's remembered IP (its container started, stopped or went away). */
  public void forget(String sid) {
    epoch.incrementAndGet();
    targets.remove(sid);
  }

  /** Forgets every remembered IP (the engine went away or came back). */
  public void invalidateAll() {
    epoch.incrementAndGet();
    targets.clear();
  }

  /**
   * Remembers a container's IP when it runs, unless a container event arrived since {@code seen}
   * (the epoch read before the inspect): then what was read may be stale, and the next lookup
   * inspects again.
   */
  private SessionContainer remember(ContainerInfo c, long seen) {
    String sid = c.label(LABEL_SESSION);
    String ip = ipOf(c);
    if (!c.running() || ip == null) {
      targets.remove(sid);
    } else if (epoch.get() == seen) {
      targets.put(sid, new Target(c.id(), ip));
    }
    return new SessionContainer(sid, c.id(), ip == null ? "" : ip, c.status(), c.running());
  }

  private String ipOf(ContainerInfo c) {
    String sid = c.label(LABEL_SESSION);
    return sid == null ? null : c.ips().get(containerName(sid));
  }

  /** This sandbox's container for a session: found by name and checked by its labels. */
  private Optional<ContainerInfo> findOurs(String sid) {
    return runtime
        .inspectContainer(containerName(sid))
        .filter(
            c -> {
              boolean mine =
                  cfg.sandboxId().equals(c.label(LABEL_SANDBOX))
                      && sid.equals(c.label(LABEL_SESSION));
              if (!mine) {
                log.warn(
                    "container {} has this sandbox's name for session {} but labels {}: ignored",
                    c.id(),
                    sid,
                    c.labels());
              }
              return mine;
            });
  }

  private ContainerInfo require(String sid) {
    return findOurs(sid)
        .orElseThrow(
            () ->
                new PortholeException(
                    ErrorCode.NOT_FOUND,
                    "session " + sid + " has no dev container on sandbox " + cfg.sandboxId()));
  }
}
