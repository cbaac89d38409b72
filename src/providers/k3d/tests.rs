use super::*;

fn spec() -> ClusterSpec {
    ClusterSpec {
        name: "dev".into(),
        k3s_version: "v1.35.1-k3s1".into(),
        servers: 1,
        agents: 1,
        runtime: "auto".into(),
        podman_machine: "k3d".into(),
        ports: Ports {
            s3: 19000,
            console: 19001,
            polaris: 18181,
        },
        kubeconfig: "/tmp/kc".into(),
        update_default_kubeconfig: false,
    }
}

fn state() -> ClusterState {
    ClusterState {
        name: "dev".into(),
        servers: 1,
        servers_running: 1,
        agents: 1,
        agents_running: 1,
        k3s_version: "v1.35.1-k3s1".into(),
        ports: Some(Ports {
            s3: 19000,
            console: 19001,
            polaris: 18181,
        }),
        api_reachable: true,
        runtime: None,
        kubeconfig: "/tmp/kc".into(),
    }
}

#[test]
fn plan_rules() {
    let k = K3dCluster::default();
    assert_eq!(k.plan(&spec(), None).action, Action::Create);
    assert_eq!(k.plan(&spec(), Some(&state())).action, Action::NoOp);
    let older = ClusterState {
        k3s_version: "v1.34.0-k3s1".into(),
        ..state()
    };
    let p = k.plan(&spec(), Some(&older));
    assert_eq!(p.action, Action::Replace);
    assert!(p.reasons[0].contains("k3s version"), "{:?}", p.reasons);
    let ghost = ClusterState {
        api_reachable: false,
        ..state()
    };
    let p = k.plan(&spec(), Some(&ghost));
    assert_eq!(p.action, Action::Replace);
    assert!(p.reasons[0].contains("ghost"));
    let stopped = ClusterState {
        servers_running: 0,
        api_reachable: false,
        ..state()
    };
    assert_eq!(k.plan(&spec(), Some(&stopped)).action, Action::Update);
    let moved = ClusterState {
        ports: Some(Ports {
            s3: 9000,
            console: 19001,
            polaris: 18181,
        }),
        ..state()
    };
    assert_eq!(k.plan(&spec(), Some(&moved)).action, Action::Replace);
}

#[test]
fn listed_clusters_parse_from_k3d_json() {
    let json = r#"[{"name":"dev","network":{"name":"k3d-dev","id":"","Members":null},"nodes":[{"name":"k3d-dev-server-0","role":"server","image":"rancher/k3s:v1.35.1-k3s1","State":{"Running":true,"Status":"running","Started":""}},{"name":"k3d-dev-serverlb","role":"loadbalancer","image":"ghcr.io/k3d-io/k3d-proxy:5.8.3","portMappings":{"31900/tcp":[{"HostIp":"0.0.0.0","HostPort":"19000"}]}}],"InitNode":null,"serversRunning":1,"serversCount":1,"agentsRunning":0,"agentsCount":0,"hasLoadbalancer":true}]"#;
    let list: Vec<ListedCluster> = serde_json::from_str(json).expect("k3d json");
    assert_eq!(list[0].name, "dev");
    assert_eq!(list[0].servers_running, 1);
    let lb = list[0]
        .nodes
        .iter()
        .find(|n| n.role == "loadbalancer")
        .expect("lb");
    assert_eq!(lb.port_mappings["31900/tcp"][0].host_port, "19000");
}

#[test]
fn rendered_config_is_k3d_v1alpha5() {
    let text = render_config(&spec(), Duration::from_secs(120)).expect("render");
    assert!(text.contains("apiVersion: k3d.io/v1alpha5"));
    assert!(text.contains("port: \"19000:31900\""), "{text}");
    assert!(text.contains("image: \"rancher/k3s:v1.35.1-k3s1\""));
}
