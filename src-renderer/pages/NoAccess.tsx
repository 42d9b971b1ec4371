export function NoAccess() {
  return (
    <div className="no-access">
      <div className="card">
        <h1>Krenalis Desktop</h1>
        <p>This page needs the admin token. Open the <code>openUrl</code> printed by <code>npm run serve</code> (it ends with <code>#token=…</code>).</p>
      </div>
    </div>
  );
}
