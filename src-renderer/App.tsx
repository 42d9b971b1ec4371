import { Router, Route, Switch, Redirect } from 'wouter';
import { useHashLocation } from 'wouter/use-hash-location';
import { hasAccess } from './api/client';
import { Sidebar } from './components/Sidebar';
import { ComingSoon } from './pages/ComingSoon';
import { WarehousePage } from './pages/WarehousePage';
import { SettingsPage } from './pages/SettingsPage';
import { NoAccess } from './pages/NoAccess';

export function App() {
  if (!hasAccess) return <NoAccess />;
  return (
    <Router hook={useHashLocation}>
      <div className="app">
        <Sidebar />
        <main className="content">
          <Switch>
            <Route path="/sources">
              <ComingSoon title="Sources" what="Connect Segment, copy the event write key and watch events arrive in the Event debugger." />
            </Route>
            <Route path="/users">
              <ComingSoon title="Users" what="Browse, search and export the unified users imported into your warehouse." />
            </Route>
            <Route path="/model">
              <ComingSoon title="Customer Model" what="Define the properties every user has: email, name, plan and your own." />
            </Route>
            <Route path="/warehouse" component={WarehousePage} />
            <Route path="/settings" component={SettingsPage} />
            <Route>
              <Redirect to="/sources" />
            </Route>
          </Switch>
        </main>
      </div>
    </Router>
  );
}
