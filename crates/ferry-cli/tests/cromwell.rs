//! What Cromwell's users bring, run as Cromwell runs it (`--compat cromwell`).

mod common;

use common::{project, run};

/// WARP's PeakCalling.wdl holds a workflow and a task both named `PeakCalling`; ATAC.wdl imports
/// it and calls `peakcalling.PeakCalling`, which Cromwell takes as the workflow (whose own
/// `call PeakCalling` is the task). Before, the call went to the task and the run failed on the
/// task's required input.
#[test]
fn a_namespaced_call_of_a_name_both_a_workflow_and_a_task_have_calls_the_workflow() {
    let peak = r#"version 1.0
workflow PeakCalling {
  input { Int reads }
  call PeakCalling { input: reads = reads, docker_path = "unused" }
  output { Int peaks = PeakCalling.peaks * 10 }
}
task PeakCalling {
  input { Int reads  String docker_path }
  command <<< echo $(( ~{reads} + 1 )) >>>
  output { Int peaks = read_int(stdout()) }
}
"#;
    let atac = r#"version 1.0
import "peak.wdl" as peakcalling
workflow ATAC {
  input { Int reads }
  call peakcalling.PeakCalling { input: reads = reads }
  output { Int peaks = PeakCalling.peaks }
}
"#;
    let dir = project(&[("peak.wdl", peak), ("atac.wdl", atac)]);
    let r = run(
        dir.path(),
        "atac.wdl",
        &["--compat", "cromwell", "ATAC.reads=4"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.outputs()["ATAC.peaks"],
        50,
        "the workflow ran, and in it the task"
    );
}
