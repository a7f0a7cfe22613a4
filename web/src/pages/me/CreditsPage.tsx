import { Placeholder } from "../../components/Placeholder";

export default function CreditsPage() {
  return <Placeholder title="Credits" />;
}
