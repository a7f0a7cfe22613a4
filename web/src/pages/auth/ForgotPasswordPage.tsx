import { Placeholder } from "../../components/Placeholder";

export default function ForgotPasswordPage() {
  return <Placeholder title="Forgot your password?" />;
}
