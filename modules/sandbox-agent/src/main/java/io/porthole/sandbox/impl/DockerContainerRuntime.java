package io.porthole.sandbox.impl;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.ExecCreateCmdResponse;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.ListVolumesResponse;
import com.github.dockerjava.api.command.LogContainerCmd;
import com.github.dockerjava.api.exception.BadRequestException;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Network;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import io.porthole.common.ErrorCode;
import io.porthole.common.PortholeException;
import io.porthole.sandbox.ContainerEvent;
import io.porthole.sandbox.ContainerInfo;
import io.porthole.sandbox.ContainerRuntime;
import io.porthole.sandbox.ContainerSpec;
import io.porthole.sandbox.ExecResult;
import io.porthole.sandbox.LogQuery;
import io.porthole.sandbox.LogTail;
import io.porthole.sandbox.NetworkInfo;
import io.porthole.sandbox.VolumeInfo;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link ContainerRuntime} over docker-java and its Apache HttpClient 5 transport. Two clients: one
 * with the given connect and response timeouts for every request, and one without a response
 * timeout for the event stream (which is silent for as long as nothing happens).
 */
public final class DockerContainerRuntime implements ContainerRuntime {

  private static final Pattern DOCKER_MESSAGE = Pattern.compile("\"message\"\\s*:\\s*\"(.*)\"");
  private static final int MAX_PROC_NET_BYTES = 4 << 20;

  private final String dockerHost;
  private final Duration responseTimeout;
  private final DockerClient client;
  private final DockerClient streamClient;

  public DockerContainerRuntime(
      String dockerHost, Duration connectTimeout, Duration responseTimeout) {
    this.dockerHost = dockerHost;
    this.responseTimeout = responseTimeout;
    this.client = client(dockerHost, connectTimeout, responseTimeout);
    this.streamClient = client(dockerHost, connectTimeout, null);
  }

  private static DockerClient client(String host, Duration connect, Duration response) {
    DockerClientConfig config =
        DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host).build();
    ApacheDockerHttpClient http =
        new ApacheDockerHttpClient.Builder()
            .dockerHost(config.getDockerHost())
            .sslConfig(config.getSSLConfig())
            .maxConnections(64)
            .connectionTimeout(connect)
            .responseTimeout(response)
            .build();
    return DockerClientImpl.getInstance(config, http);
  }

  @Override
  public String ping() {
    return call("ping", () -> client.versionCmd().exec().getVersion());
  }

  @Override
  public boolean hasImage(String image) {
    return call(
        "inspect image " + image,
        () -> {
          try {
            client.inspectImageCmd(image).exec();
            return true;
          } catch (NotFoundException e) {
            return false;
          }
        });
  }

  @Override
  public String createContainer(ContainerSpec spec) {
    HostConfig host =
        HostConfig.newHostConfig()
            .withNetworkMode(spec.network())
            .withRestartPolicy(RestartPolicy.unlessStoppedRestart())
            .withInit(true);
    List<Bind> binds = new ArrayList<>();
    spec.volumes().forEach((volume, path) -> binds.add(new Bind(volume, new Volume(path))));
    spec.binds().forEach((hostPath, path) -> binds.add(new Bind(hostPath, new Volume(path))));
    host.withBinds(binds);
    if (spec.nanoCpus() > 0) {
      host.withNanoCPUs(spec.nanoCpus());
    }
    if (spec.memoryBytes() > 0) {
      host.withMemory(spec.memoryBytes());
    }
    if (spec.privileged() && spec.dropCaps().isEmpty()) {
      host.withPrivileged(true);
    } else if (spec.privileged()) {
      host.withCapAdd(Capability.ALL)
          .withCapDrop(spec.dropCaps().stream().map(Capability::valueOf).toArray(Capability[]::new))
          .withSecurityOpts(List.of("seccomp=unconfined", "apparmor=unconfined"))
          .withDeviceCgroupRules(List.of("a *:* rwm"));
    }
    List<String> env = new ArrayList<>();
    spec.env().forEach((k, v) -> env.add(k + "=" + v));
    return call(
        "create container " + spec.name(),
        () -> {
          var cmd =
              client
                  .createContainerCmd(spec.image())
                  .withName(spec.name())
                  .withHostName(spec.hostname())
                  .withEnv(env)
                  .withLabels(spec.labels())
                  .withHostConfig(host);
          if (!spec.command().isEmpty()) {
            cmd.withCmd(spec.command());
          }
          return cmd.exec().getId();
        });
  }

  @Override
  public void startContainer(String id) {
    call(
        "start container " + id,
        () -> {
          try {
            client.startContainerCmd(id).exec();
          } catch (NotModifiedException e) {
            // already running
          }
          return null;
        });
  }

  @Override
  public Optional<ContainerInfo> inspectContainer(String idOrName) {
    return call(
        "inspect container " + idOrName,
        () -> {
          try {
            return Optional.of(info(client.inspectContainerCmd(idOrName).exec()));
          } catch (NotFoundException e) {
            return Optional.empty();
          }
        });
  }

  private static ContainerInfo info(InspectContainerResponse r) {
    var state = r.getState();
    boolean running = Boolean.TRUE.equals(state.getRunning());
    Long pid = state.getPidLong();
    Map<String, String> ips = new HashMap<>();
    if (r.getNetworkSettings() != null && r.getNetworkSettings().getNetworks() != null) {
      for (Map.Entry<String, ContainerNetwork> e :
          r.getNetworkSettings().getNetworks().entrySet()) {
        String ip = e.getValue().getIpAddress();
        if (ip != null && !ip.isEmpty()) {
          ips.put(e.getKey(), ip);
        }
      }
    }
    String name = r.getName() == null ? "" : r.getName().replaceFirst("^/", "");
    Map<String, String> labels = r.getConfig().getLabels();
    return new ContainerInfo(
        r.getId(),
        name,
        r.getConfig().getImage(),
        labels == null ? Map.of() : labels,
        state.getStatus() == null ? "unknown" : state.getStatus(),
        running,
        running && pid != null ? pid : 0,
        state.getStartedAt() == null ? "" : state.getStartedAt(),
        ips);
  }

  @Override
  public void stopContainer(String id, Duration grace) {
    call(
        "stop container " + id,
        () -> {
          try {
            client
                .stopContainerCmd(id)
                .withTimeout(Math.toIntExact(Math.max(0, grace.toSeconds())))
                .exec();
          } catch (NotModifiedException | NotFoundException e) {
            // not running, or already gone
          }
          return null;
        });
  }

  @Override
  public boolean removeContainer(String id) {
    return call(
        "remove container " + id,
        () -> {
          try {
            client.removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            return true;
          } catch (NotFoundException e) {
            return false;
          }
        });
  }

  @Override
  public List<ContainerInfo> listContainers(Map<String, String> labels) {
    return call(
        "list containers",
        () -> {
          var cmd = client.listContainersCmd().withShowAll(true);
          if (!labels.isEmpty()) {
            cmd.withLabelFilter(labels);
          }
          List<ContainerInfo> out = new ArrayList<>();
          for (Container c : cmd.exec()) {
            try {
              out.add(info(client.inspectContainerCmd(c.getId()).exec()));
            } catch (NotFoundException e) {
              // removed between the list and the inspect
            }
          }
          return out;
        });
  }

  @Override
  public String createNetwork(String name, String subnet, Map<String, String> labels) {
    return call(
        "create network " + name + " on " + subnet,
        () ->
            client
                .createNetworkCmd()
                .withName(name)
                .withDriver("bridge")
                .withCheckDuplicate(true)
                .withLabels(labels)
                .withIpam(
                    new Network.Ipam().withConfig(new Network.Ipam.Config().withSubnet(subnet)))
                .exec()
                .getId());
  }

  @Override
  public Optional<NetworkInfo> inspectNetwork(String idOrName) {
    return call(
        "inspect network " + idOrName,
        () -> {
          try {
            return Optional.of(info(client.inspectNetworkCmd().withNetworkId(idOrName).exec()));
          } catch (NotFoundException e) {
            return Optional.empty();
          }
        });
  }

  private static NetworkInfo info(Network n) {
    List<String> subnets = new ArrayList<>();
    if (n.getIpam() != null && n.getIpam().getConfig() != null) {
      for (Network.Ipam.Config c : n.getIpam().getConfig()) {
        if (c.getSubnet() != null) {
          subnets.add(c.getSubnet());
        }
      }
    }
    return new NetworkInfo(
        n.getId(), n.getName(), subnets, n.getLabels() == null ? Map.of() : n.getLabels());
  }

  @Override
  public boolean removeNetwork(String idOrName) {
    return call(
        "remove network " + idOrName,
        () -> {
          try {
            client.removeNetworkCmd(idOrName).exec();
            return true;
          } catch (NotFoundException e) {
            return false;
          }
        });
  }

  @Override
  public List<NetworkInfo> listNetworks(Map<String, String> labels) {
    return call(
        "list networks",
        () -> {
          var cmd = client.listNetworksCmd();
          if (!labels.isEmpty()) {
            cmd.withFilter("label", labelFilters(labels));
          }
          return cmd.exec().stream().map(DockerContainerRuntime::info).toList();
        });
  }

  @Override
  public void createVolume(String name, Map<String, String> labels) {
    call(
        "create volume " + name,
        () -> client.createVolumeCmd().withName(name).withLabels(labels).exec().getName());
  }

  @Override
  public boolean removeVolume(String name) {
    return call(
        "remove volume " + name,
        () -> {
          try {
            client.removeVolumeCmd(name).exec();
            return true;
          } catch (NotFoundException e) {
            return false;
          }
        });
  }

  @Override
  public List<VolumeInfo> listVolumes(Map<String, String> labels) {
    return call(
        "list volumes",
        () -> {
          var cmd = client.listVolumesCmd();
          if (!labels.isEmpty()) {
            cmd.withFilter("label", labelFilters(labels));
          }
          ListVolumesResponse r = cmd.exec();
          if (r.getVolumes() == null) {
            return List.<VolumeInfo>of();
          }
          return r.getVolumes().stream()
              .map(
                  v ->
                      new VolumeInfo(v.getName(), v.getLabels() == null ? Map.of() : v.getLabels()))
              .toList();
        });
  }

  private static List<String> labelFilters(Map<String, String> labels) {
    List<String> out = new ArrayList<>();
    labels.forEach((k, v) -> out.add(k + "=" + v));
    return out;
  }

  @Override
  public LogTail logs(String id, LogQuery query, Duration timeout) {
    return callWaiting(
        "logs of container " + id,
        () -> {
          LogSink sink =
              query.head() ? new HeadBuffer(query.maxBytes()) : new TailBuffer(query.maxBytes());
          try (FrameCollector frames = new FrameCollector(sink)) {
            LogContainerCmd cmd =
                streamClient
                    .logContainerCmd(id)
                    .withStdOut(true)
                    .withStdErr(true)
                    .withTimestamps(query.timestamps())
                    .withFollowStream(false);
            if (query.tailLines() > 0) {
              cmd.withTail(query.tailLines());
            }
            if (query.sinceSecond() > 0) {
              cmd.withSince(Math.toIntExact(query.sinceSecond()));
            }
            cmd.exec(frames);
            await(frames, timeout, "logs of container " + id);
          }
          return new LogTail(sink.text(), sink.truncated());
        });
  }

  @Override
  public String procNetTcp(String id) {
    ContainerInfo c =
        inspectContainer(id)
            .orElseThrow(() -> new PortholeException(ErrorCode.NOT_FOUND, "no container " + id));
    Optional<String> onHost = readOnHost(c);
    if (onHost.isPresent()) {
      return onHost.get();
    }
    return procNetTcpByExec(c.id());
  }

  /**
   * Reads the container's socket tables from the host's /proc, when the engine is local and the pid
   * it reports is this container's (its cgroup path names the container id): a process in another
   * pid namespace than the engine's could otherwise be someone else.
   */
  private Optional<String> readOnHost(ContainerInfo c) {
    if (!dockerHost.startsWith("unix://") || c.pid() <= 0) {
      return Optional.empty();
    }
    Path proc = Path.of("/proc", Long.toString(c.pid()));
    try {
      if (!Files.readString(proc.resolve("cgroup")).contains(c.id())) {
        return Optional.empty();
      }
      StringBuilder out = new StringBuilder();
      for (String table : List.of("tcp", "tcp6")) {
        Path p = proc.resolve("net").resolve(table);
        if (Files.isReadable(p)) {
          out.append(Files.readString(p));
        }
      }
      return Optional.of(out.toString());
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
  }

  /** The socket tables through {@code docker exec cat} (an engine that is not local). */
  String procNetTcpByExec(String id) {
    return exec(
            id,
            List.of("cat", "/proc/net/tcp", "/proc/net/tcp6"),
            MAX_PROC_NET_BYTES,
            responseTimeout)
        .output();
  }

  @Override
  public ExecResult exec(String id, List<String> command, int maxBytes, Duration timeout) {
    return callWaiting(
        "exec in container " + id,
        () -> {
          ExecCreateCmdResponse exec =
              client
                  .execCreateCmd(id)
                  .withCmd(command.toArray(String[]::new))
                  .withAttachStdout(true)
                  .withAttachStderr(true)
                  .exec();
          TailBuffer out = new TailBuffer(maxBytes);
          // the stream may be silent for long: no response timeout, only ours
          try (FrameCollector frames = new FrameCollector(out)) {
            streamClient.execStartCmd(exec.getId()).exec(frames);
            await(frames, timeout, "exec in container " + id);
          }
          Long code = client.inspectExecCmd(exec.getId()).exec().getExitCodeLong();
          return new ExecResult(code == null ? -1 : Math.toIntExact(code), out.text());
        });
  }

  private static void await(ResultCallback.Adapter<?> callback, Duration timeout, String what)
      throws InterruptedException {
    if (!callback.awaitCompletion(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new PortholeException(ErrorCode.TIMEOUT, what + ": not finished within " + timeout);
    }
  }

  @Override
  public AutoCloseable watchContainerEvents(
      Map<String, String> labels, Consumer<ContainerEvent> onEvent, Consumer<Throwable> onEnd) {
    AtomicBoolean closed = new AtomicBoolean();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    ResultCallback.Adapter<Event> callback =
        new ResultCallback.Adapter<>() {
          @Override
          public void onNext(Event e) {
            if (e.getType() != EventType.CONTAINER || e.getActor() == null) {
              return;
            }
            Map<String, String> attrs = e.getActor().getAttributes();
            onEvent.accept(
                new ContainerEvent(
                    e.getActor().getId(),
                    e.getAction() == null ? "" : e.getAction(),
                    attrs == null ? Map.of() : attrs));
          }

          @Override
          public void onError(Throwable t) {
            failed.compareAndSet(null, t);
            if (closed.compareAndSet(false, true)) {
              onEnd.accept(t);
            }
            try {
              close();
            } catch (IOException e) {
              // nothing left to release
            }
          }

          @Override
          public void onComplete() {
            if (closed.compareAndSet(false, true)) {
              onEnd.accept(null);
            }
          }
        };
    callWaiting(
        "watch events",
        () -> {
          streamClient
              .eventsCmd()
              .withEventTypeFilter(EventType.CONTAINER)
              .withLabelFilter(labels)
              .exec(callback);
          // the engine answers the subscription at once: from then on no event is missed
          if (!callback.awaitStarted(responseTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
            closed.set(true);
            callback.close();
            throw new PortholeException(
                ErrorCode.UNAVAILABLE,
                "watch events: no answer from the Docker engine within " + responseTimeout);
          }
          if (failed.get() != null) {
            throw unavailable("watch events", failed.get());
          }
          return null;
        });
    return () -> {
      closed.set(true);
      callback.close();
    };
  }

  /**
   * Runs one engine request, turning docker-java's failures into typed ones: an engine that does
   * not answer is UNAVAILABLE; refusals keep their meaning.
   */
  private <T> T call(String what, Supplier<T> request) {
    try {
      return request.get();
    } catch (PortholeException e) {
      throw e;
    } catch (NotFoundException e) {
      throw new PortholeException(ErrorCode.NOT_FOUND, what + ": " + message(e), e);
    } catch (ConflictException e) {
      throw new PortholeException(ErrorCode.CONFLICT, what + ": " + message(e), e);
    } catch (BadRequestException e) {
      throw new PortholeException(ErrorCode.INVALID, what + ": " + message(e), e);
    } catch (DockerException e) {
      throw new PortholeException(ErrorCode.INTERNAL, what + ": " + message(e), e);
    } catch (RuntimeException e) {
      if (isTransport(e)) {
        throw unavailable(what, e);
      }
      throw new PortholeException(ErrorCode.INTERNAL, what + ": " + e, e);
    }
  }

  private <T> T callWaiting(String what, Blocking<T> request) {
    return call(
        what,
        () -> {
          try {
            return request.run();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PortholeException(ErrorCode.UNAVAILABLE, what + ": interrupted", e);
          } catch (IOException e) {
            throw unavailable(what, e);
          }
        });
  }

  /** A request that may wait on a stream. */
  @FunctionalInterface
  private interface Blocking<T> {
    T run() throws InterruptedException, IOException;
  }

  private PortholeException unavailable(String what, Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return new PortholeException(
        ErrorCode.UNAVAILABLE,
        "Docker engine at " + dockerHost + " is unavailable (" + what + "): " + root.getMessage(),
        e);
  }

  private static boolean isTransport(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  private static String message(DockerException e) {
    String m = e.getMessage() == null ? "" : e.getMessage();
    Matcher matcher = DOCKER_MESSAGE.matcher(m);
    return matcher.find() ? matcher.group(1) : m.strip();
  }

  /** The host path of the engine's socket (what a session's host_docker opt-in mounts). */
  public static String socketPath(String dockerHost) {
    if (dockerHost.startsWith("unix://")) {
      return URI.create(dockerHost).getPath();
    }
    return "/var/run/docker.sock";
  }

  @Override
  public void close() {
    for (DockerClient c : List.of(client, streamClient)) {
      try {
        c.close();
      } catch (IOException e) {
        // closing a client that failed to connect has nothing left to release
      }
    }
  }

  /** Keeps the last {@code max} bytes written, counting what it drops. */
  /** Where log frames go: the last or the first bytes of the output. */
  interface LogSink {
    /** Takes a frame; false once nothing more is wanted. */
    boolean write(byte[] data);

    boolean truncated();

    String text();
  }

  /** The first {@code max} bytes of the output. */
  static final class HeadBuffer implements LogSink {
    private final byte[] kept;
    private int length;
    private boolean truncated;

    HeadBuffer(int max) {
      this.kept = new byte[max];
    }

    @Override
    public synchronized boolean write(byte[] data) {
      int n = Math.min(data.length, kept.length - length);
      System.arraycopy(data, 0, kept, length, n);
      length += n;
      if (n < data.length) {
        truncated = true;
      }
      return !truncated && length < kept.length;
    }

    @Override
    public synchronized boolean truncated() {
      return truncated;
    }

    /** The kept bytes as UTF-8 (a character cut at the end is dropped). */
    @Override
    public synchronized String text() {
      int n = length;
      if (truncated) {
        // drop a trailing partial UTF-8 sequence
        int start = n;
        while (start > 0 && start > n - 4 && (kept[start - 1] & 0xC0) == 0x80) {
          start--;
        }
        if (start > 0 && (kept[start - 1] & 0x80) != 0) {
          n = start - 1;
        }
      }
      return new String(kept, 0, n, StandardCharsets.UTF_8);
    }
  }

  static final class TailBuffer implements LogSink {
    private final byte[] ring;
    private long written;

    TailBuffer(int max) {
      this.ring = new byte[max];
    }

    @Override
    public synchronized boolean write(byte[] data) {
      int off = 0;
      int len = data.length;
      if (len > ring.length) {
        off = len - ring.length;
        written += off;
        len = ring.length;
      }
      int pos = (int) (written % ring.length);
      int first = Math.min(len, ring.length - pos);
      System.arraycopy(data, off, ring, pos, first);
      System.arraycopy(data, off + first, ring, 0, len - first);
      written += len;
      return true;
    }

    @Override
    public synchronized boolean truncated() {
      return written > ring.length;
    }

    /** The kept bytes as UTF-8, without a character cut in half at the start. */
    @Override
    public synchronized String text() {
      int n = (int) Math.min(written, ring.length);
      byte[] out = new byte[n];
      int start = (int) ((written - n) % ring.length);
      for (int i = 0; i < n; i++) {
        out[i] = ring[(start + i) % ring.length];
      }
      int skip = 0;
      if (written > ring.length) {
        while (skip < n && skip < 3 && (out[skip] & 0xC0) == 0x80) {
          skip++;
        }
      }
      return new String(out, skip, n - skip, StandardCharsets.UTF_8);
    }
  }

  /** Collects the payload of frames (stdout and stderr) into a tail buffer. */
  private static final class FrameCollector extends ResultCallback.Adapter<Frame> {
    private final LogSink out;

    FrameCollector(LogSink out) {
      this.out = out;
    }

    @Override
    public void onNext(Frame frame) {
      if (!out.write(frame.getPayload())) {
        // enough: stop reading (completes the callback)
        try {
          close();
        } catch (IOException e) {
          onError(e);
        }
      }
    }
  }
}
