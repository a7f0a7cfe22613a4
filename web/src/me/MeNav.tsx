import { NavLink } from "react-router";

/** Links between the player's own records. */
export function MeNav() {
  return (
    <nav aria-label="My records" className="me-nav">
      <ul>
        <li>
          <NavLink to="/me/entries">My entries</NavLink>
        </li>
        <li>
          <NavLink to="/me/reveals">My results</NavLink>
        </li>
        <li>
          <NavLink to="/me/credits">Credits</NavLink>
        </li>
        <li>
          <NavLink to="/me/notifications">Notifications</NavLink>
        </li>
        <li>
          <NavLink to="/me/play">Responsible play</NavLink>
          <NavLink to="/me/data">Your data</NavLink>
        </li>
      </ul>
    </nav>
  );
}
