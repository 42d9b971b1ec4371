// Placeholder until the Pipelines issue lands: the list area and its action, honest about what is missing.
export function PipelinesTab({ sourceId }: { sourceId: string }) {
  return (
    <div className="pipelines-tab" data-source-id={sourceId}>
      <div className="panel">
        <div className="panel-title-row">
          <h2>Import users into warehouse</h2>
          <button className="btn" onClick={() => alert('The pipeline editor comes with the Pipelines release.')}>
            Add pipeline...
          </button>
        </div>
        <p className="muted">No pipelines yet. Pipelines select events, map them to your Customer Model and write users into the warehouse.</p>
      </div>
    </div>
  );
}
