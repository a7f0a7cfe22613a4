import { Link } from "react-router";

export default function NotFoundPage() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There's nothing at this address. <Link to="/">See the lots</Link>.
      </p>
    </section>
  );
}
