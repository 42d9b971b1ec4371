import { PageHeader } from '../components/PageHeader';

export function ComingSoon({ title, what }: { title: string; what: string }) {
  return (
    <div className="page">
      <PageHeader title={title} />
      <div className="empty-state">
        <h2>Coming in the next release</h2>
        <p>{what}</p>
        <p className="muted">Meanwhile, the Warehouse page lets you query the local DuckDB warehouse with SQL.</p>
      </div>
    </div>
  );
}
